package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// errNotReady is a health check that ran and failed: the server answered
// something else than 200, or did not answer.
var errNotReady = errors.New("not ready")

// runHealth is the container's HEALTHCHECK (Containerfile): it needs no
// shell and no curl in the image. It asks the server's GET /readyz, which
// answers 200 while the store is reachable (docs/operations.md).
func runHealth(ctx context.Context, env *Env, args []string) error {
	var (
		addr    string
		base    string
		timeout time.Duration
	)
	fs := newFlags(env, "health", "health [--url URL | --addr HOST:PORT] [--timeout D]")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "the address the server listens on (as for serve); an unspecified host (0.0.0.0, ::) is asked on loopback")
	fs.StringVar(&base, "url", "", "the server's base URL (default http://<addr>)")
	fs.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	// A wrong flag is a usage error (exit 2), never "not ready" (exit 1):
	// a misconfigured health check must not pass for a sick server.
	if timeout <= 0 {
		return fs.misuse("--timeout must be positive")
	}
	target, err := readyzURL(base, addr)
	if err != nil {
		return fs.misuse(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: GET %s: %v", errNotReady, target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s answered %d%s", errNotReady, target, res.StatusCode, errorSummary(body))
	}
	fmt.Fprintf(env.Stdout, "ready: GET %s answered 200\n", target)
	return nil
}

// readyzURL is base's /readyz, or, without base, that of a server
// listening on addr.
func readyzURL(base, addr string) (string, error) {
	if base == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return "", fmt.Errorf("--addr %q: want host:port", addr)
		}
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--url %q: want an absolute http(s) URL without query", base)
	}
	return strings.TrimRight(u.String(), "/") + "/readyz", nil
}

// errorSummary renders the code and message of a Portico error envelope
// (docs/openapi.json, ErrorBody) for the one-line report, or nothing.
func errorSummary(body []byte) string {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error.Code == "" {
		return ""
	}
	return fmt.Sprintf(" %s: %s", env.Error.Code, env.Error.Message)
}
