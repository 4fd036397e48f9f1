// Package client is the Go client of Portico's native /v1 API.
//
// A Client holds the server's base URL and the app's API key:
//
//	c := client.New("http://127.0.0.1:8080", client.WithAPIKey(os.Getenv("PORTICO_API_KEY")))
//	user, created, err := c.CreateUser(ctx, api.UserCreate{ExternalID: ptr("u-42")})
//
// Every method takes a context and returns the wire types of package api.
// A response with a non-2xx status is returned as an *Error, which carries
// the status and the stable error code of the answer:
//
//	var e *client.Error
//	if errors.As(err, &e) && e.Code == "not_found" { … }
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/api"
)

// Client calls one Portico server on behalf of one app. It is safe for
// concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with the app's API key, sent as
// Authorization: Bearer. Portico never accepts keys in the query string.
func WithAPIKey(key string) Option {
	return func(c *Client) { c.token = key }
}

// WithHTTPClient sends requests through hc instead of a client with a
// 30-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a client of the server at baseURL (such as
// "https://portico.example.com"; a trailing slash is ignored).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		http:    &http.Client{Timeout: 30 * time.Second},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is a non-2xx answer of the server.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable, machine-readable error code, such as "not_found"
	// or "validation_failed"; empty when the body was not Portico's error
	// envelope (for instance an answer of a proxy in front of it).
	Code string
	// Message explains the error to a person.
	Message string
	// Details holds extra facts; "field" names the offending input field.
	Details map[string]any
	// RequestID identifies the request in the server's logs.
	RequestID string
	// RetryAfter is how long the server asked to wait before retrying
	// (429 and 503 answers), zero when it did not say.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "portico: %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if f, ok := e.Details["field"].(string); ok && f != "" {
		b.WriteString(" (field " + f + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// Field returns details.field: the input field an invalid request names.
func (e *Error) Field() string {
	f, _ := e.Details["field"].(string)
	return f
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// do sends one request and decodes a 2xx answer into out (when out is not
// nil and the answer has a body). query may be nil; in, when not nil, is
// sent as the JSON body. It returns the status of a 2xx answer, and an
// *Error for any other.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("portico: encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, fmt.Errorf("portico: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("portico: %s %s: %w", method, path, err)
	}
	defer func() {
		// Drain what is left so that the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
		res.Body.Close()
	}()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, errorOf(res)
	}
	if out != nil && res.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			return res.StatusCode, fmt.Errorf("portico: decode %s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// errorOf builds the *Error of a non-2xx answer from its envelope, or from
// its status when the body is not one.
func errorOf(res *http.Response) *Error {
	e := &Error{Status: res.StatusCode, RequestID: res.Header.Get("X-Request-Id")}
	// A wait too long for a Duration (about 292 years) is the longest
	// one: multiplied unchecked it would wrap to a negative wait.
	if s, err := strconv.ParseInt(res.Header.Get("Retry-After"), 10, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && s >= 0 {
		e.RetryAfter = time.Duration(min(s, math.MaxInt64/int64(time.Second))) * time.Second
	}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	var env api.ErrorBody
	if err := json.Unmarshal(raw, &env); err == nil && env.Error.Code != "" {
		e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
		if env.Error.RequestID != "" {
			e.RequestID = env.Error.RequestID
		}
		return e
	}
	e.Message = http.StatusText(res.StatusCode)
	return e
}

// escape makes one path segment of an id.
func escape(id string) string { return url.PathEscape(id) }

// pageQuery adds the page parameters of a list request to q.
func pageQuery(q url.Values, size int, token string) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if size != 0 {
		q.Set("page_size", strconv.Itoa(size))
	}
	if token != "" {
		q.Set("page_token", token)
	}
	return q
}

// Healthz reports whether the server process is up.
func (c *Client) Healthz(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/healthz", nil, nil, nil)
	return err
}

// Readyz reports whether the server can reach its store; an *Error with
// status 503 when it cannot.
func (c *Client) Readyz(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/readyz", nil, nil, nil)
	return err
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
