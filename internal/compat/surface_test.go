package compat_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// A surface made of routes, a table and an envelope: what a new surface
// writes. Everything else (405 with Allow, 404, 500 for unknown codes,
// Retry-After) is the toolkit's.
func TestSurface(t *testing.T) {
	mux := http.NewServeMux()
	table := map[portico.Code]int{portico.CodeNotFound: 404, portico.CodeMethodNotAllowed: 405, portico.CodeRateLimited: 429}
	s := compat.NewSurface(func(p string, h http.Handler) { mux.Handle(p, h) }, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(_ *http.Request, err error) (int, any) {
			status, msg := compat.Translate(table, 500, err)
			return status, map[string]any{"status": status, "msg": msg}
		})
	s.Handle("GET", "/x/items/{id}", func(w http.ResponseWriter, r *http.Request) error {
		switch r.PathValue("id") {
		case "limited":
			return &portico.Error{Code: portico.CodeRateLimited, Message: "Slow down.", RetryAfter: 1500 * time.Millisecond}
		case "broken":
			return errors.New("disk on fire")
		case "odd":
			return portico.Errorf(portico.CodeUpstreamTimeout, "Took too long.")
		}
		compat.WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
		return nil
	})
	s.Handle("DELETE", "/x/items/{id}", func(w http.ResponseWriter, r *http.Request) error { return nil })
	s.Fallback(func(r *http.Request, path string, allow []string) error {
		return portico.Errorf(portico.CodeMethodNotAllowed, "%s %s takes %s.", r.Method, path, strings.Join(allow, ", "))
	}, func(*http.Request) error { return portico.Errorf(portico.CodeNotFound, "Nothing here.") }, "/x/")
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		method, path string
		status       int
		msg, allow   string
		retryAfter   string
	}{
		{"GET", "/x/items/a", 200, "", "", ""},
		{"HEAD", "/x/items/a", 200, "", "", ""},
		{"PUT", "/x/items/a", 405, "PUT /x/items/{id} takes GET, DELETE, HEAD.", "GET, DELETE, HEAD", ""},
		{"GET", "/x/nothing", 404, "Nothing here.", "", ""},
		{"GET", "/x/items/limited", 429, "Slow down.", "", "2"},
		{"GET", "/x/items/broken", 500, "Internal error.", "", ""},
		{"GET", "/x/items/odd", 500, "Internal error.", "", ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != tc.status || (tc.msg != "" && body["msg"] != tc.msg) {
			t.Errorf("%s %s: %d %v, want %d %q", tc.method, tc.path, res.StatusCode, body, tc.status, tc.msg)
		}
		if got := res.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		if got := res.Header.Get("Retry-After"); got != tc.retryAfter {
			t.Errorf("%s %s: Retry-After %q, want %q", tc.method, tc.path, got, tc.retryAfter)
		}
		if res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Content-Length") == "" {
			t.Errorf("%s %s: headers %v", tc.method, tc.path, res.Header)
		}
	}
}

func TestBearer(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"Bearer pk_1", "pk_1"},
		{"bearer  pk_2 ", "pk_2"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/?access_token=pk_q", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if got := compat.Bearer(r); got != tc.want {
			t.Errorf("Bearer(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

// A credential named twice is refused whatever the order of the headers;
// one named once, or the same one in both places, is not.
func TestOneCredential(t *testing.T) {
	for _, c := range []struct {
		name    string
		headers [][2]string
		refused bool
	}{
		{"none", nil, false},
		{"a bearer", [][2]string{{"Authorization", "Bearer a"}}, false},
		{"the same key in both", [][2]string{{"X-API-Key", "a"}, {"Authorization", "bearer a"}}, false},
		{"a key beside a Basic header", [][2]string{{"X-API-Key", "a"}, {"Authorization", "Basic b"}}, false},
		{"two keys", [][2]string{{"X-API-Key", "a"}, {"Authorization", "Bearer b"}}, true},
		{"two keys, the other order", [][2]string{{"Authorization", "Bearer b"}, {"X-API-Key", "a"}}, true},
		{"Authorization twice", [][2]string{{"Authorization", "Bearer a"}, {"Authorization", "Bearer a"}}, true},
		{"X-API-Key twice", [][2]string{{"X-API-Key", "a"}, {"X-API-Key", "b"}}, true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for _, h := range c.headers {
			r.Header.Add(h[0], h[1])
		}
		err := compat.OneCredential(r, portico.CodeInvalidAPIKey, "X-API-Key", "Authorization")
		if refused := err != nil; refused != c.refused || refused && portico.ErrorCode(err) != portico.CodeInvalidAPIKey {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// A 5xx is logged with its cause, or with its message when it has none,
// never with "error":null.
func TestFailure_LogsACause(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&portico.Error{Code: portico.CodeUpstreamUnreachable, Message: "The upstream response is too large."}, `"error":"The upstream response is too large."`},
		{&portico.Error{Code: portico.CodeInternal, Message: "Internal error.", Err: errors.New("disk on fire")}, `disk on fire"`},
	} {
		var buf strings.Builder
		log := slog.New(slog.NewJSONHandler(&buf, nil))
		compat.Failure(log, httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), 502, c.err)
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("logged %s, want %s", buf.String(), c.want)
		}
	}
}
