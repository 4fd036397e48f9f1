package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// surfaceCall is how one surface is called with an API key, and how its
// error shape says that the key lacks a permission.
type surfaceCall struct {
	prefixes []string
	// prepare sets the key (and whatever else the surface checks before
	// the key) on req; it returns the body to send.
	prepare func(req *http.Request, appID, key string) []byte
	// refused returns the permission a refusal names, or "" with a
	// description of what the answer was instead.
	refused func(status int, body []byte) (string, string)
}

// permissionNamed is the permission a refusal's message names.
var permissionNamed = regexp.MustCompile(`^This API key lacks the permission (\S+?)[ ,]`)

func fromMessage(status int, wantStatus int, ok bool, msg string) (string, string) {
	m := permissionNamed.FindStringSubmatch(msg)
	if status != wantStatus || !ok || m == nil {
		return "", fmt.Sprintf("%d %q", status, msg)
	}
	return m[1], ""
}

func bearer(req *http.Request, key string) { req.Header.Set("Authorization", "Bearer "+key) }

// surfaceCalls covers every surface that takes an API key; the first
// whose prefix the path has applies, the last (the native API) otherwise.
var surfaceCalls = []surfaceCall{
	{prefixes: []string{"/api/hub/"}, prepare: func(req *http.Request, _, key string) []byte {
		bearer(req, key)
		req.Header.Set("x-superface-user-id", "u1")
		return nil
	}, refused: func(status int, body []byte) (string, string) {
		var b struct{ Title, Detail string }
		err := json.Unmarshal(body, &b)
		return fromMessage(status, 403, err == nil && b.Title == "Forbidden", b.Detail)
	}},
	{prefixes: []string{"/api/v1/appuid/", "/api-authenticate-embedded-user"}, prepare: func(req *http.Request, _, key string) []byte {
		req.Header.Set("x-api-key", key)
		return []byte(`{"externalId":"u1","userEmail":null}`)
	}, refused: func(status int, body []byte) (string, string) {
		var b struct{ Error, Message string }
		err := json.Unmarshal(body, &b)
		return fromMessage(status, 403, err == nil && b.Error == "Forbidden", b.Message)
	}},
	{prefixes: []string{"/v1/connect/"}, prepare: func(_ *http.Request, appID, key string) []byte {
		// A type Portico refuses once the key is accepted: 400.
		return fmt.Appendf(nil, `{"client_id":%q,"client_secret":%q,"client_user_id":"u1","type":"none"}`, appID, key)
	}, refused: func(status int, body []byte) (string, string) {
		var b struct {
			StatusCode int    `json:"statusCode"`
			ErrorCode  string `json:"errorCode"`
			Message    string `json:"message"`
		}
		err := json.Unmarshal(body, &b)
		return fromMessage(status, 403, err == nil && b.StatusCode == 403 && b.ErrorCode == "NOT_AUTHORIZED", b.Message)
	}},
	{prefixes: []string{"/session-storage/"}, prepare: func(req *http.Request, appID, key string) []byte {
		req.Header.Set("ClientID", appID)
		req.Header.Set("ClientSecret", key)
		return []byte(`{"ttl_seconds":60}`)
	}, refused: func(status int, body []byte) (string, string) {
		var b struct {
			OK     bool `json:"ok"`
			Errors []struct {
				Type      string `json:"type"`
				Detail    string `json:"detail"`
				ErrorCode int    `json:"error_code"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &b); err != nil || len(b.Errors) != 1 {
			return "", fmt.Sprintf("%d %s", status, body)
		}
		e := b.Errors[0]
		return fromMessage(status, 403, !b.OK && e.Type == "forbidden" && e.ErrorCode == 40300, e.Detail)
	}},
	{prefixes: []string{"/vault/"}, prepare: func(req *http.Request, appID, key string) []byte {
		bearer(req, key)
		req.Header.Set("x-apideck-app-id", appID)
		req.Header.Set("x-apideck-consumer-id", "u1")
		return []byte(`{}`)
	}, refused: func(status int, body []byte) (string, string) {
		var b struct {
			StatusCode int            `json:"status_code"`
			TypeName   string         `json:"type_name"`
			Message    string         `json:"message"`
			Detail     map[string]any `json:"detail"`
		}
		err := json.Unmarshal(body, &b)
		p, why := fromMessage(status, 403, err == nil && b.StatusCode == 403 && b.TypeName == "ForbiddenError", b.Message)
		if p != "" && b.Detail["permission"] != p {
			return "", fmt.Sprintf("detail %v does not name %s", b.Detail, p)
		}
		return p, why
	}},
	{prefixes: []string{"/mcp"}, prepare: func(req *http.Request, _, key string) []byte {
		bearer(req, key)
		req.Header.Set("Portico-User-Id", "u1")
		req.Header.Set("Accept", "application/json, text/event-stream")
		return []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	}, refused: nativeRefused},
	{prefixes: []string{"/"}, prepare: func(req *http.Request, _, key string) []byte {
		bearer(req, key)
		return []byte(`{}`)
	}, refused: nativeRefused},
}

// nativeRefused reads the native envelope: 403 forbidden, the permission
// in details and in the message.
func nativeRefused(status int, body []byte) (string, string) {
	var b struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	err := json.Unmarshal(body, &b)
	p, why := fromMessage(status, 403, err == nil && b.Error.Code == "forbidden", b.Error.Message)
	if p != "" && b.Error.Details["permission"] != p {
		return "", fmt.Sprintf("details %v do not name %s", b.Error.Details, p)
	}
	return p, why
}

// grants is SPEC §12 read independently of the server's code: a key may
// call a route that needs need when it holds need, or when need is not
// mcp:act_as_user and it holds all, or read and the call is a GET.
func grants(held, need, method string) bool {
	switch {
	case held == need:
		return true
	case need == portico.PermissionActAsUser:
		return false
	case held == portico.PermissionAll:
		return true
	}
	return held == portico.PermissionRead && method == http.MethodGet
}

// TestKeyPermissions_EveryRouteEveryPermission walks every route the
// server registers: each has an entry in httpapi.RoutePermissions, and
// each route that takes a key is called once with a key of each single
// permission, which must be refused (403, in the surface's own error
// shape, naming exactly the permission the route needs) or let through.
func TestKeyPermissions_EveryRouteEveryPermission(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := newLeakWatch(t)
			s := startServer(t, w, e, nil)
			appID, _ := s.createApp("Permissions")
			keys := map[string]string{}
			for _, p := range portico.Permissions {
				_, keys[p] = s.createKey(appID, "--permissions", p)
			}
			patterns := s.srv.Patterns()
			for p := range httpapi.RoutePermissions {
				if !slices.Contains(patterns, p) {
					t.Errorf("RoutePermissions names %q, which the server does not register", p)
				}
			}
			checked := 0
			for _, pattern := range patterns {
				need, ok := httpapi.RoutePermissions[pattern]
				switch {
				case !ok:
					t.Errorf("route %q has no entry in httpapi.RoutePermissions", pattern)
					continue
				case need == httpapi.NoAPIKey:
					continue
				case !slices.Contains(portico.Permissions, need):
					t.Errorf("route %q needs %q, which is not a permission", pattern, need)
					continue
				}
				methods := []string{http.MethodGet, http.MethodPost, http.MethodDelete} // a pattern without a method
				path := pattern
				if m, rest, found := strings.Cut(pattern, " "); found {
					methods, path = []string{m}, rest
				}
				path = strings.NewReplacer("{app_id}", appID, "{$}", "").Replace(path)
				path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, "x1")
				for _, method := range methods {
					for _, held := range portico.Permissions {
						checked++
						status, body := callWithKey(t, s.URL, method, path, appID, keys[held])
						got, why := surfaceOf(path).refused(status, body)
						switch {
						case grants(held, need, method) && (got != "" || status == 401 || status >= 500):
							t.Errorf("%s %s with a %s key: %d %s, want it let through", method, path, held, status, body)
						case !grants(held, need, method) && got != need:
							t.Errorf("%s %s with a %s key: want 403 naming %s, got %s (%s)", method, path, held, need, got, why)
						}
					}
				}
			}
			if checked < 250 {
				t.Errorf("only %d calls were checked", checked)
			}
		})
	}
}

func surfaceOf(path string) surfaceCall {
	for _, c := range surfaceCalls {
		if slices.ContainsFunc(c.prefixes, func(p string) bool { return strings.HasPrefix(path, p) }) {
			return c
		}
	}
	panic("no surface for " + path)
}

// callWithKey sends one request as the surface of path takes its key.
func callWithKey(t *testing.T, base, method, path, appID, key string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := surfaceOf(path).prepare(req, appID, key); body != nil && method != http.MethodGet && method != http.MethodDelete {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}
