package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// scenario is one row of an HTTP scenario table (DESIGN: Tests).
type scenario struct {
	name    string
	method  string
	path    string
	headers map[string]string // nil: the app's key as a bearer token
	body    any
	status  int
	code    string // the error code; "" when the request succeeds
	field   string // details.field of the error, when it must name one
	// message is error.message exactly, when it is part of the contract
	// (the errors that teach); details are entries error.details must
	// hold, compared as JSON values.
	message string
	details map[string]any
	// readOnly asserts that the request wrote nothing: every watched
	// app's settings, keys, users and accounts are the same afterwards.
	readOnly bool
	check    func(t *testing.T, r response)
}

// forTest returns a view of e whose helpers fail t, so that a subtest
// never calls FailNow on its parent. The secrets it sees are handed back to
// e, whose log check covers them.
func (e *env) forTest(t *testing.T) *env {
	c := &env{t: t, URL: e.URL, Svc: e.Svc, DB: e.DB, Clock: e.Clock, Metrics: e.Metrics, logs: e.logs}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		e.secret(c.secrets...)
	})
	return c
}

// run runs each scenario as a subtest authenticated by key, watching the
// stored data of the apps in watch.
func (e *env) run(t *testing.T, key string, watch []string, cases []scenario) {
	t.Helper()
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			se := e.forTest(t)
			var before string
			if sc.readOnly {
				before = se.snapshot(watch...)
			}
			h := sc.headers
			if h == nil {
				h = auth(key)
			}
			r := se.do(sc.method, sc.path, h, sc.body)
			checkEnvelope(t, r)
			if r.Status != sc.status || r.code() != sc.code {
				t.Fatalf("%s %s: %d %q, want %d %q\n%s", sc.method, sc.path, r.Status, r.code(), sc.status, sc.code, truncate(r.Raw))
			}
			if sc.field != "" {
				if got := errorField(r); got != sc.field {
					t.Errorf("details.field = %q, want %q (%s)", got, sc.field, truncate(r.Raw))
				}
			}
			if sc.message != "" {
				if got := errorMessage(r); got != sc.message {
					t.Errorf("message = %q, want %q", got, sc.message)
				}
			}
			for k, want := range sc.details {
				if got := errorDetails(r)[k]; !sameJSON(got, want) {
					t.Errorf("details.%s = %v, want %v (%s)", k, got, want, truncate(r.Raw))
				}
			}
			if sc.readOnly {
				if after := se.snapshot(watch...); after != before {
					t.Errorf("the request wrote:\nbefore %s\nafter  %s", before, after)
				}
			}
			if sc.check != nil {
				sc.check(t, r)
			}
		})
	}
}

// checkEnvelope checks what every response must have: a request id, and
// for errors the JSON envelope that repeats it.
func checkEnvelope(t *testing.T, r response) {
	t.Helper()
	id := r.Header.Get("X-Request-Id")
	if !strings.HasPrefix(id, "req_") {
		t.Errorf("X-Request-Id = %q", id)
	}
	if r.Status < 400 {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error with Content-Type %q: %s", ct, truncate(r.Raw))
	}
	e, ok := r.Body["error"].(map[string]any)
	if !ok || len(r.Body) != 1 {
		t.Fatalf("not an error envelope: %s", truncate(r.Raw))
	}
	if e["request_id"] != id {
		t.Errorf("error.request_id = %v, X-Request-Id = %q", e["request_id"], id)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error without a message: %s", r.Raw)
	}
}

func errorField(r response) string {
	e, _ := r.Body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	s, _ := d["field"].(string)
	return s
}

func errorMessage(r response) string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func errorDetails(r response) map[string]any {
	e, _ := r.Body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	return d
}

// sameJSON compares two values by their JSON text.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// snapshot renders everything stored for the given apps.
func (e *env) snapshot(appIDs ...string) string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, id := range appIDs {
		app, err := e.DB.FindAppByID(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		fmt.Fprintf(&b, "app %s %q %s secret=%q updated=%v\n", app.ID, app.Name, portico.MarshalSettings(app.Settings), app.WebhookSecret, app.UpdatedAt)
		keys, err := e.DB.ListAPIKeys(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, k := range keys {
			fmt.Fprintf(&b, " key %s revoked=%v\n", k.ID, k.RevokedAt)
		}
		users, err := e.DB.ListUsers(ctx, id, portico.UserFilter{}, portico.ListQuery{Limit: 10000})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, u := range users {
			fmt.Fprintf(&b, " user %s ext=%v email=%v %q %s %v %v\n", u.ID, deref(u.ExternalID), deref(u.Email), u.Name, u.Metadata, u.AccountIDs, u.UpdatedAt)
		}
		accs, err := e.DB.ListAccounts(ctx, id, portico.ListQuery{Limit: 10000})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range accs {
			fmt.Fprintf(&b, " account %s %q %v\n", a.ID, a.Name, a.UpdatedAt)
		}
		ins, err := e.DB.ListIntegrations(ctx, id, portico.ListQuery{Limit: 10000})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, in := range ins {
			def, _ := json.Marshal(in)
			secret := ""
			if in.Auth.OAuth2 != nil {
				secret = in.Auth.OAuth2.ClientSecret
			}
			fmt.Fprintf(&b, " integration %s %s secret=%q %v\n", in.Slug, def, secret, in.UpdatedAt)
		}
		conns, err := e.DB.ListConnections(ctx, id, portico.ConnectionFilter{}, e.Clock.Now(), portico.ListQuery{Limit: 10000})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, c := range conns {
			fmt.Fprintf(&b, " connection %s %s %s %s %v %q %v\n", c.ID, c.UserID, c.Integration, c.Status, c.Fields, c.Credentials, c.UpdatedAt)
		}
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// countUsers is the number of users stored for an app.
func (e *env) countUsers(appID string) int {
	e.t.Helper()
	users, err := e.DB.ListUsers(context.Background(), appID, portico.UserFilter{}, portico.ListQuery{Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(users)
}

// mustUser creates a user through the API and returns its id.
func (e *env) mustUser(key string, body map[string]any) string {
	e.t.Helper()
	r := e.do("POST", "/v1/users", auth(key), body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create user: %d %s", r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// mustAccount creates an account through the API and returns its id.
func (e *env) mustAccount(key, id string) string {
	e.t.Helper()
	body := map[string]any{"name": "Account " + id}
	if id != "" {
		body["id"] = id
	}
	r := e.do("POST", "/v1/accounts", auth(key), body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create account: %d %s", r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// listAll pages through a list endpoint (path may carry filters) and returns
// the ids in order and every next_page_token it was given.
func (e *env) listAll(key, path string, size int) (ids, tokens []string) {
	e.t.Helper()
	token := ""
	for pages := 0; ; pages++ {
		if pages > 500 {
			e.t.Fatal("pagination does not end")
		}
		q := url.Values{"page_size": {fmt.Sprint(size)}}
		if token != "" {
			q.Set("page_token", token)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := e.do("GET", path+sep+q.Encode(), auth(key), nil)
		if r.Status != http.StatusOK {
			e.t.Fatalf("list %s: %d %s", path, r.Status, r.Raw)
		}
		data := r.Body["data"].([]any)
		if len(data) > size {
			e.t.Fatalf("page of %d rows for page_size %d", len(data), size)
		}
		for _, d := range data {
			ids = append(ids, d.(map[string]any)["id"].(string))
		}
		next, ok := r.Body["next_page_token"]
		if !ok {
			e.t.Fatalf("no next_page_token field: %s", r.Raw)
		}
		if next == nil {
			return ids, tokens
		}
		if len(data) != size {
			e.t.Fatalf("a short page (%d of %d) with a next_page_token", len(data), size)
		}
		token = next.(string)
		tokens = append(tokens, token)
	}
}

// hostileBodies are the malformed bodies every JSON endpoint refuses without
// writing; valid is a body the endpoint would accept, to wrap.
func hostileBodies(method, path string, valid string) []scenario {
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	return []scenario{
		{name: "wrong content type", method: method, path: path, headers: nil, body: valid, status: 415, code: "unsupported_media_type", readOnly: true},
		{name: "form content type", method: method, path: path, body: "name=x", status: 415, code: "unsupported_media_type", readOnly: true},
		{name: "no content type", method: method, path: path, body: valid, status: 415, code: "unsupported_media_type", readOnly: true},
		{name: "2 MiB body", method: method, path: path, body: big, status: 413, code: "payload_too_large", readOnly: true},
		{name: "empty body", method: method, path: path, body: "", status: 400, code: "invalid_request", readOnly: true},
		{name: "malformed JSON", method: method, path: path, body: `{"name":`, status: 400, code: "invalid_request", readOnly: true},
		{name: "array body", method: method, path: path, body: `[]`, status: 400, code: "invalid_request", readOnly: true},
		{name: "two values", method: method, path: path, body: valid + valid, status: 400, code: "invalid_request", readOnly: true},
		{name: "unknown field", method: method, path: path, body: `{"name":"x","bogus_field":1}`, status: 400, code: "invalid_request", field: "bogus_field", readOnly: true},
		{name: "duplicate key", method: method, path: path, body: `{"name":"x","name":"y"}`, status: 400, code: "invalid_request", field: "name", readOnly: true},
		{name: "invalid UTF-8", method: method, path: path, body: []byte("{\"name\":\"\xff\xfe\"}"), status: 400, code: "invalid_request", readOnly: true},
		{name: "wrong type", method: method, path: path, body: `{"name":["x"]}`, status: 400, code: "invalid_request", field: "name", readOnly: true},
	}
}

// withHeaders sets the content-type variations of hostileBodies: the rows
// are built without the key, which is filled in here.
func withKey(key string, cases []scenario) []scenario {
	out := make([]scenario, len(cases))
	for i, sc := range cases {
		h := auth(key)
		switch sc.name {
		case "wrong content type":
			h["Content-Type"] = "text/plain"
		case "form content type":
			h["Content-Type"] = "application/x-www-form-urlencoded"
		case "no content type":
			h["Content-Type"] = ""
		}
		sc.headers = h
		out[i] = sc
	}
	return out
}
