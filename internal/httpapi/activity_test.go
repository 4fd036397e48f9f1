package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store/storetest"
)

// activityRows lists GET path page by page (page_size 2) and returns every
// row, in order.
func activityRows(t *testing.T, e *env, path string, hdr map[string]string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := path + sep + "page_size=2"
	for {
		r := e.do("GET", next, hdr, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d %s", next, r.Status, r.Raw)
		}
		for _, v := range r.Body["data"].([]any) {
			rows = append(rows, v.(map[string]any))
		}
		tok, _ := r.Body["next_page_token"].(string)
		if tok == "" {
			return rows
		}
		next = path + sep + "page_size=2&page_token=" + tok
	}
}

// Every perform, whatever its outcome, and every connection and session
// change is a row; the rows name the caller and never hold a secret.
func TestActivity_RowsForEveryOutcome(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		repo := map[string]any{"owner": "acme", "repo": "web"}
		calls := []struct {
			body    map[string]any
			outcome string
		}{
			{map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": repo}, "success"},
			{map[string]any{"user": u1(), "integration": "crm", "request": map[string]any{"method": "GET", "path": "/status/503", "query": map[string]any{"token": "q_secret_value"}}}, "upstream_error"},
			{map[string]any{"user": map[string]any{"external_id": "u-2"}, "integration": "crm", "action": "get-repo", "input": repo}, "connection_required"},
			{map[string]any{"user": u1(), "integration": "vip", "action": "get-repo", "input": repo}, "denied"},
			{map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme"}}, "failed"},
			{map[string]any{"user": u1(), "integration": "crm", "action": "get-repo", "input": repo, "dry_run": true}, "success"},
		}
		var requestIDs []string
		for _, c := range calls {
			e.Clock.Advance(time.Second)
			r := e.do("POST", "/v1/perform", k, c.body)
			requestIDs = append(requestIDs, r.Header.Get("X-Request-Id"))
		}
		rows := activityRows(t, e, "/v1/activity", k)
		var performs []map[string]any
		for _, row := range rows {
			if row["method"] != nil {
				performs = append(performs, row)
			}
		}
		if len(performs) != len(calls) {
			t.Fatalf("%d perform rows, want %d: %v", len(performs), len(calls), rows)
		}
		for i, c := range calls {
			row := performs[len(calls)-1-i] // newest first
			if row["outcome"] != c.outcome || row["request_id"] != requestIDs[i] || row["client"] != "api" ||
				!strings.HasPrefix(row["api_key_id"].(string), "key_") || row["integration"] == nil {
				t.Errorf("call %d: row %v, want outcome %s, request %s", i, row, c.outcome, requestIDs[i])
			}
		}
		if p := performs[len(calls)-1]; p["path"] != "/repos/{owner}/{repo}" || p["method"] != "GET" || p["upstream_status"] != float64(200) || p["user_id"] != f.user {
			t.Errorf("success row %v", p)
		}
		if p := performs[len(calls)-2]; p["path"] != "/status/503" || p["upstream_status"] != float64(503) {
			t.Errorf("upstream error row keeps %v, want the path without its query", p)
		}
		if p := performs[0]; p["dry_run"] != true || p["upstream_status"] != nil {
			t.Errorf("dry run row %v", p)
		}
		var changes []string
		for _, row := range rows {
			if a, _ := row["action"].(string); strings.Contains(a, ".") {
				changes = append(changes, a)
			}
		}
		if n := strings.Count(strings.Join(changes, " "), "connection.created"); n != 4 {
			t.Errorf("%d connection.created rows, want 4 (the fixture's): %v", n, changes)
		}
		if !slices.Contains(changes, "session.created") {
			t.Errorf("no session.created row for the connection_required answer's session: %v", changes)
		}

		// Filters, each on its own and together.
		for q, want := range map[string]int{
			"outcome=upstream_error":                    1,
			"outcome=denied&integration=vip":            1,
			"integration=crm&outcome=success":           3, // with connection.created
			"user_id=" + f.vipUser:                      0,
			"since=2000-01-01T00:00:00Z":                len(rows),
			"until=2000-01-01T00:00:00Z":                0,
			"since=2000-01-01T00:00:00Z&outcome=failed": 1,
		} {
			if got := activityRows(t, e, "/v1/activity?"+q, k); len(got) != want {
				t.Errorf("?%s: %d rows, want %d", q, len(got), want)
			}
		}
		for q, field := range map[string]string{"outcome=fine": "outcome", "since=yesterday": "since",
			"since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z": "until", "page_token=x": "page_token"} {
			r := e.do("GET", "/v1/activity?"+q, k, nil)
			if r.Status != 400 || r.code() != "invalid_request" || !strings.Contains(string(r.Raw), `"field":"`+field+`"`) {
				t.Errorf("?%s: %d %s", q, r.Status, r.Raw)
			}
		}

		// Another app sees none of it.
		_, other := e.newApp("other")
		if got := activityRows(t, e, "/v1/activity", auth(other)); len(got) != 0 {
			t.Errorf("another app lists %d rows", len(got))
		}

		// The user, with a session token, sees its own rows only.
		s := e.createSession(strings.TrimPrefix(k["Authorization"], "Bearer "), map[string]any{"user": map[string]any{"external_id": "u-2"}})
		tok := s.Body["token"].(string)
		mine := activityRows(t, e, "/v1/me/activity", bearerHdr(tok))
		if len(mine) < 2 {
			t.Fatalf("u-2 sees %d rows: %v", len(mine), mine)
		}
		required := false
		for _, row := range mine {
			if row["user_id"] != sessionOf(s)["user_id"] {
				t.Errorf("u-2 sees a row of another user: %v", row)
			}
			// The call that created u-2 is u-2's.
			required = required || row["outcome"] == "connection_required"
		}
		if !required {
			t.Errorf("u-2's rows lack the call that created u-2: %v", mine)
		}
		// A session that shows one integration sees its rows, and its
		// sessions' own, only: as on the hosted page.
		session := func(settings map[string]any) string {
			body := map[string]any{"user": u1()}
			if settings != nil {
				body["settings"] = settings
			}
			return e.createSession(strings.TrimPrefix(k["Authorization"], "Bearer "), body).Body["token"].(string)
		}
		all := activityRows(t, e, "/v1/me/activity", bearerHdr(session(nil)))
		narrow := activityRows(t, e, "/v1/me/activity", bearerHdr(session(map[string]any{"integrations": []any{"crm"}})))
		crm := 0
		for _, row := range narrow {
			switch row["integration"] {
			case "crm":
				crm++
			case nil, "":
			default:
				t.Errorf("a session of crm sees a row of %v: %v", row["integration"], row)
			}
		}
		if crm < 4 || len(narrow) >= len(all) {
			t.Errorf("a session of crm sees %d rows of crm, %d rows of the user's %d", crm, len(narrow), len(all))
		}
		if got := activityRows(t, e, "/v1/me/activity?integration=jira", bearerHdr(session(map[string]any{"integrations": []any{"crm"}}))); len(got) != 0 {
			t.Errorf("?integration=jira on a session of crm: %d rows", len(got))
		}

		// No secret anywhere in the rows.
		raw := string(e.do("GET", "/v1/activity?page_size=100", k, nil).Raw)
		for _, secret := range []string{"sk_crm_secret", "qk_secret", "pw_secret", "gho_secret", "q_secret_value", tok} {
			if strings.Contains(raw, secret) {
				t.Errorf("the activity holds %.8s…", secret)
			}
		}
	})
}

// A dry run answers the request Portico would send, the credential
// redacted wherever it is injected, and sends nothing.
func TestPerform_DryRun(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		var hits atomic.Int32
		counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		t.Cleanup(counted.Close)
		r := e.do("PUT", "/v1/integrations/counted", k, map[string]any{"name": "Counted", "base_url": counted.URL + "/api",
			"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
				"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}},
			"actions": []any{map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/{owner}/{repo}", "approval": "confirm",
				"input_schema": map[string]any{"type": "object", "properties": map[string]any{"owner": map[string]any{"type": "string"}, "repo": map[string]any{"type": "string"}, "force": map[string]any{"type": "boolean"}}}}}})
		if r.Status != 201 {
			t.Fatalf("put: %d %s", r.Status, r.Raw)
		}
		e.secret("sk_counted_secret")
		if r := e.do("PUT", "/v1/users/"+f.user+"/connections/counted", k, map[string]any{"credentials": map[string]any{"api_key": "sk_counted_secret"}}); r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Raw)
		}
		dry := func(body map[string]any) map[string]any {
			t.Helper()
			body["user"], body["dry_run"] = u1(), true
			e.Clock.Advance(time.Second)
			r := e.do("POST", "/v1/perform", k, body)
			if r.Status != 200 || r.Body["status"] != "dry_run" || r.Body["response"] != nil {
				t.Fatalf("dry run: %d %s", r.Status, r.Raw)
			}
			if strings.Contains(string(r.Raw), "secret") {
				t.Errorf("a dry run shows a credential: %s", r.Raw)
			}
			return r.Body["request"].(map[string]any)
		}
		// A confirm action too: a dry run sends nothing, so it needs no approval.
		req := dry(map[string]any{"integration": "counted", "action": "delete-repo", "input": map[string]any{"owner": "acme", "repo": "web", "force": true}})
		h := req["headers"].(map[string]any)
		if req["method"] != "DELETE" || req["url"] != counted.URL+"/api/repos/acme/web?force=true" || h["authorization"] != "Bearer [REDACTED]" ||
			req["body"] != nil || req["body_encoding"] != "none" {
			t.Errorf("dry run request %v", req)
		}
		req = dry(map[string]any{"integration": "crm", "action": "create-issue", "input": map[string]any{"owner": "acme", "repo": "web", "title": "Bug"}})
		if h := req["headers"].(map[string]any); h["x-api-key"] != "[REDACTED]" || h["content-type"] != "application/json" ||
			req["body_encoding"] != "json" || req["body"].(map[string]any)["title"] != "Bug" {
			t.Errorf("dry run request %v", req)
		}
		req = dry(map[string]any{"integration": "qkey", "request": map[string]any{"method": "GET", "path": "/x", "query": map[string]any{"a": "1"}}})
		if !strings.HasSuffix(req["url"].(string), "/api/x?a=1&key=tok-%5BREDACTED%5D") {
			t.Errorf("query credential: %v", req["url"])
		}
		req = dry(map[string]any{"integration": "jira", "request": map[string]any{"method": "POST", "path": "/x", "body": "plain", "headers": map[string]any{"Content-Type": "text/plain"}}})
		if h := req["headers"].(map[string]any); h["authorization"] != "Basic [REDACTED]" || req["body"] != "plain" || req["body_encoding"] != "text" {
			t.Errorf("basic dry run %v", req)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("a dry run reached the upstream %d times", n)
		}
		rows := activityRows(t, e, "/v1/activity?integration=counted", k)
		if len(rows) < 1 || rows[0]["dry_run"] != true || rows[0]["outcome"] != "success" {
			t.Errorf("dry run rows %v", rows)
		}
	})
}

// The SQLite file holds no credential or token a test used, after

// With the log off (serve --no-activity-log), calls and changes work as
// before and leave no row.
func TestActivity_OffRecordsNothing(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		if got := activityRows(t, e, "/v1/activity", k); len(got) == 0 {
			t.Fatal("the fixture's connections left no row with the log on")
		}
		e.Svc.NoActivity = true
		_, other := e.newApp("quiet")
		q := auth(other)
		if r := e.do("PUT", "/v1/integrations/open", q, map[string]any{"name": "Open", "base_url": f.upstream.URL + "/api", "auth": map[string]any{"type": "none"},
			"actions": []any{map[string]any{"name": "get-repo", "method": "GET", "path": "/repos/{owner}/{repo}", "input_schema": json.RawMessage(repoSchema)}}}); r.Status != 201 {
			t.Fatalf("put integration: %d %s", r.Status, r.Raw)
		}
		s := e.createSession(strings.TrimPrefix(q["Authorization"], "Bearer "), map[string]any{"user": map[string]any{"external_id": "u-9"}})
		if r := e.do("POST", "/v1/perform", q, map[string]any{"user": map[string]any{"external_id": "u-9"}, "integration": "open", "action": "get-repo",
			"input": map[string]any{"owner": "acme", "repo": "web"}}); r.Status != 200 {
			t.Fatalf("perform: %d %s", r.Status, r.Raw)
		}
		if got := activityRows(t, e, "/v1/activity", q); len(got) != 0 {
			t.Errorf("the log is off, yet GET /v1/activity lists %v", got)
		}
		if got := activityRows(t, e, "/v1/me/activity", bearerHdr(s.Body["token"].(string))); len(got) != 0 {
			t.Errorf("the log is off, yet GET /v1/me/activity lists %v", got)
		}
	})
}

// performs of every outcome.
func TestActivity_DatabaseFileHoldsNoSecret(t *testing.T) {
	dir := t.TempDir()
	eng := storetest.Engine{Name: "sqlite", Fresh: func(testing.TB) (string, string) { return "", dir }}
	f := newPerformFixture(t, eng)
	e, k := f.e, f.key
	for _, body := range []map[string]any{
		{"user": u1(), "integration": "crm", "action": "get-repo", "input": map[string]any{"owner": "acme", "repo": "sk_in_input_value"}},
		{"user": u1(), "integration": "crm", "request": map[string]any{"method": "POST", "path": "/x?apikey=sk_in_query_value",
			"headers": map[string]any{"X-Custom": "sk_in_header_value"}, "body": map[string]any{"password": "sk_in_body_value"}}},
		{"user": u1(), "integration": "qkey", "request": map[string]any{"method": "GET", "path": "/status/401"}},
		{"user": u1(), "integration": "jira", "request": map[string]any{"method": "GET", "path": "/x"}, "dry_run": true},
	} {
		e.do("POST", "/v1/perform", k, body)
	}
	if rows := activityRows(t, e, "/v1/activity", k); len(rows) < 4 {
		t.Fatalf("%d rows", len(rows))
	}
	e.DB.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, s := range []string{"sk_crm_secret", "qk_secret", "pw_secret", "gho_secret", "sk_in_input_value", "sk_in_query_value",
			"sk_in_header_value", "sk_in_body_value", strings.TrimPrefix(k["Authorization"], "Bearer ")} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds %.8s…", filepath.Base(name), s)
			}
		}
	}
}
