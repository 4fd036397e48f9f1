package compat_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/portico"
)

// A NUL or bytes that are not UTF-8 in the path or the query of a
// surface's route are refused in that surface's own error shape, before
// and without credentials, as any other bad request to it is; the native
// API keeps its own.
func TestCheckURL_EachSurfaceItsOwnShape(t *testing.T) {
	s := compattest.Start(t, compattest.Engines(t)[0], nil)
	appID, _ := s.NewApp("Acme")
	for _, c := range []struct {
		name, method, path string
		key                string // a top-level key of the surface's error body
	}{
		{"superface query", "GET", "/api/hub/tools?x=%00", "title"},
		{"superface path", "GET", "/api/hub/tools/a%00", "title"},
		{"mindset", "POST", "/api/v1/appuid/" + appID + "/sdkusers/auth?x=%ff", "message"},
		{"human api", "POST", "/v1/connect/token?x=%00", "errorCode"},
		{"session storage query", "GET", "/session-storage/sessions?user_id=a%00", "errors"},
		{"session storage path", "GET", "/session-storage/sessions/ses_%00", "errors"},
		{"vault", "GET", "/vault/consumers?cursor=%ff", "type_name"},
		{"native", "GET", "/v1/sessions?user_id=a%00", "error"},
		// A query Go's url.Values would read with a pair dropped: a raw
		// ';', a malformed escape.
		{"native, a semicolon", "GET", "/v1/sessions?external_user_id=u1;", "error"},
		{"native, a bad escape", "GET", "/v1/sessions?external_user_id=u1%zz", "error"},
		{"session storage, a semicolon", "GET", "/session-storage/sessions?user_id=u1;", "errors"},
		{"vault, a semicolon", "GET", "/vault/consumers?cursor=a;b", "type_name"},
	} {
		status, _, body := s.Do(c.method, c.path, "")
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %d %s", c.name, status, body)
		}
		native := false
		if e, ok := m["error"].(map[string]any); ok {
			_, native = e["code"]
		}
		if status != 400 || m[c.key] == nil || native != strings.HasPrefix(c.name, "native") {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
}

// An empty query parameter is refused without calling it a filter: on
// Session Storage's extend, ttl_seconds is the value itself.
func TestCheckQuery_Empty(t *testing.T) {
	err := compat.CheckQuery(url.Values{"ttl_seconds": {""}}, []string{"ttl_seconds"})
	if e := portico.AsError(err); e.Field != "ttl_seconds" || e.Message != `The query parameter "ttl_seconds" is empty: give it a value, or leave out a filter you do not need.` {
		t.Fatalf("%v", err)
	}
}

// FuzzCheckURL: a URL CheckURL lets through is read whole by the handlers
// (url.Values drops nothing) and holds only clean text.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"user_id=usr_1", "external_user_id=u1;", "a=%zz", "a=%00", "a=b&a=c", "x=%ff", ";", "=&=", "a=1%3B2"} {
		f.Add("/v1/sessions", s)
	}
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		u := &url.URL{Path: path, RawQuery: rawQuery}
		if compat.CheckURL(u) != nil {
			return
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", rawQuery, err)
		}
		for k, vs := range q {
			if !portico.CleanText(k) || !portico.CleanText(strings.Join(vs, "")) {
				t.Fatalf("accepted %q, with a parameter that is not clean text", rawQuery)
			}
		}
	})
}
