package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// A DELETE that needs the user's approval never reaches the upstream
// before the user approves that call, reaches it exactly once after (two
// concurrent retries included), and never after a decline or once the
// approval has expired.
func TestPerform_ApprovalGatesTheCall(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		var hits atomic.Int32
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(up.Close)
		schema := map[string]any{"type": "object", "properties": map[string]any{"repo": map[string]any{"type": "string"},
			"token": map[string]any{"type": "string", "secret": true}, "reason": map[string]any{"type": "string"}}}
		if r := e.do("PUT", "/v1/integrations/repos", k, map[string]any{"name": "Repos", "base_url": up.URL,
			"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
				"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}},
			"actions": []any{
				map[string]any{"name": "delete-repo", "method": "DELETE", "path": "/repos/{repo}", "input_schema": schema},
				map[string]any{"name": "archive-repo", "method": "POST", "path": "/repos/{repo}/archive", "approval": "confirm", "input_schema": schema},
				map[string]any{"name": "drop-cache", "method": "DELETE", "path": "/cache", "approval": "auto"},
			}}); r.Status != 201 {
			t.Fatalf("put: %d %s", r.Status, r.Raw)
		}
		e.secret("sk_repos_secret", "tok_input_secret")
		if r := e.do("PUT", "/v1/users/"+f.user+"/connections/repos", k, map[string]any{"credentials": map[string]any{"api_key": "sk_repos_secret"}}); r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Raw)
		}
		call := func(action string, input map[string]any) response {
			return e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "repos", "action": action, "input": input})
		}
		del := map[string]any{"repo": "web"}
		// DELETE follows approval_default_for_delete: auto by default.
		if r := call("delete-repo", del); r.Status != 200 || hits.Load() != 1 {
			t.Fatalf("auto delete: %d %s", r.Status, r.Raw)
		}
		e.do("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"approval_default_for_delete": "confirm"}})
		if r := call("drop-cache", nil); r.Status != 200 || hits.Load() != 2 {
			t.Fatalf("an action that says auto: %d %s", r.Status, r.Raw)
		}
		hits.Store(0)

		required := func(r response) map[string]any {
			t.Helper()
			if r.Status != 409 || r.code() != "approval_required" {
				t.Fatalf("want approval_required: %d %s", r.Status, r.Raw)
			}
			d := r.Body["error"].(map[string]any)["details"].(map[string]any)
			if !strings.Contains(d["approval_url"].(string), "/connect/") || d["expires_at"] == nil || !strings.Contains(d["assistant_hint"].(string), "approval_url") {
				t.Fatalf("details %v", d)
			}
			return d
		}
		first := required(call("delete-repo", del))
		sum := first["summary"].(map[string]any)
		if sum["method"] != "DELETE" || sum["path"] != "/repos/web" {
			t.Errorf("summary %v", sum)
		}
		if again := required(call("delete-repo", del)); again["approval_id"] != first["approval_id"] {
			t.Errorf("a retry before the decision got a new approval %v, want %v", again["approval_id"], first["approval_id"])
		}
		// Other arguments are another call.
		if other := required(call("delete-repo", map[string]any{"repo": "api"})); other["approval_id"] == first["approval_id"] {
			t.Errorf("another repo shares the approval")
		}
		// The body preview hides secret inputs.
		arch := required(call("archive-repo", map[string]any{"repo": "web", "token": "tok_input_secret", "reason": "old"}))
		if b := arch["summary"].(map[string]any)["body"].(string); strings.Contains(b, "tok_input_secret") || !strings.Contains(b, `"reason":"old"`) || !strings.Contains(b, portico.Redacted) {
			t.Errorf("body preview %s", b)
		}
		if n := hits.Load(); n != 0 {
			t.Fatalf("the upstream was reached %d times before any approval", n)
		}

		sess := &portico.Session{AppID: appOfUser(t, e, f.user), ID: "ses_test", Settings: portico.DefaultSessionSettings}
		user := &portico.User{ID: f.user}
		decide := func(id any, approve bool) error {
			_, err := e.Svc.DecideApproval(context.Background(), sess, user, id.(string), approve)
			return err
		}
		if err := decide(first["approval_id"], true); err != nil {
			t.Fatal(err)
		}
		if err := decide(first["approval_id"], false); portico.ErrorCode(err) != portico.CodeConflict {
			t.Errorf("deciding twice: %v", err)
		}
		// Two concurrent retries: exactly one runs.
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = call("delete-repo", del).Status
			}()
		}
		wg.Wait()
		if n := hits.Load(); n != 1 || statuses[0]+statuses[1] != 200+409 {
			t.Fatalf("two retries after approval: %d upstream calls, statuses %v", n, statuses)
		}
		// Used: the next call needs a new approval.
		if next := required(call("delete-repo", del)); next["approval_id"] == first["approval_id"] {
			t.Errorf("a used approval was offered again")
		}
		// Declined: never runs.
		declined := required(call("delete-repo", map[string]any{"repo": "docs"}))
		if err := decide(declined["approval_id"], false); err != nil {
			t.Fatal(err)
		}
		required(call("delete-repo", map[string]any{"repo": "docs"}))
		// Expired: never runs, and cannot be approved any more.
		late := required(call("delete-repo", map[string]any{"repo": "late"}))
		if err := decide(late["approval_id"], true); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(portico.ApprovalTTL + time.Second)
		required(call("delete-repo", map[string]any{"repo": "late"}))
		stale := required(call("delete-repo", map[string]any{"repo": "stale"}))
		e.Clock.Advance(portico.ApprovalTTL + time.Second)
		if err := decide(stale["approval_id"], true); portico.ErrorCode(err) != portico.CodeConflict {
			t.Errorf("approving an expired approval: %v", err)
		}
		if n := hits.Load(); n != 1 {
			t.Fatalf("%d upstream calls, want the one approved", n)
		}

		// The activity tells each step.
		var outcomes, actions []string
		for _, row := range activityRows(t, e, "/v1/activity?integration=repos", k) {
			outcomes = append(outcomes, row["outcome"].(string))
			if a, _ := row["action"].(string); strings.HasPrefix(a, "approval.") {
				actions = append(actions, a)
			}
		}
		all := strings.Join(outcomes, " ")
		if strings.Count(all, "approval_required") < 8 || !strings.Contains(all, "denied") {
			t.Errorf("outcomes %v", outcomes)
		}
		// The three decisions were made in the same instant of the test clock.
		slices.Sort(actions)
		if strings.Join(actions, " ") != "approval.approved approval.approved approval.declined" {
			t.Errorf("decisions %v", actions)
		}
	})
}

// appOfUser is the app id of a user.
func appOfUser(t *testing.T, e *env, userID string) string {
	t.Helper()
	apps, err := e.Svc.ListApps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		if _, err := e.Svc.FindUser(context.Background(), a.ID, userID); err == nil {
			return a.ID
		}
	}
	t.Fatalf("no app has user %s", userID)
	return ""
}

// A secret input is hidden from the approval's summary wherever the
// action puts it: a path segment, a query parameter or body field of
// another name, or the whole body; and so from the hint built on it.
func TestPerform_ApprovalSummaryHidesSecretInputsWhereverTheyGo(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		f := newPerformFixture(t, eng)
		e, k := f.e, f.key
		secret := func(extra map[string]any) map[string]any {
			m := map[string]any{"type": "string", "secret": true}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		if r := e.do("PUT", "/v1/integrations/vault", k, map[string]any{"name": "Vault", "base_url": "https://vault.example.com",
			"auth": map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "secret": true}},
				"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}},
			"actions": []any{
				map[string]any{"name": "mapped", "method": "POST", "path": "/accounts/{acct}", "approval": "confirm",
					"query": map[string]any{"pin": "p"}, "body": map[string]any{"otp": "code", "note": "note"},
					"input_schema": map[string]any{"type": "object", "properties": map[string]any{
						"acct": secret(nil), "pin": secret(nil), "otp": map[string]any{"type": "integer", "secret": true}, "note": map[string]any{"type": "string"}}}},
				map[string]any{"name": "whole", "method": "POST", "path": "/w", "approval": "confirm", "body_input": "payload",
					"input_schema": map[string]any{"type": "object", "properties": map[string]any{"payload": secret(nil)}}},
			}}); r.Status != 201 {
			t.Fatalf("put: %d %s", r.Status, r.Raw)
		}
		if r := e.do("PUT", "/v1/users/"+f.user+"/connections/vault", k, map[string]any{"credentials": map[string]any{"api_key": "sk_vault"}}); r.Status != 201 {
			t.Fatalf("connect: %d %s", r.Status, r.Raw)
		}
		e.secret("ACCT-SECRET-9", "PIN-SECRET-8", "731904", "WHOLE-SECRET-6")
		for _, c := range []struct {
			action string
			input  map[string]any
			shown  []string
		}{
			{"mapped", map[string]any{"acct": "ACCT-SECRET-9", "pin": "PIN-SECRET-8", "otp": 731904, "note": "keep"},
				[]string{"/accounts/" + portico.Redacted, `\"note\":\"keep\"`}},
			{"whole", map[string]any{"payload": "WHOLE-SECRET-6"}, []string{"/w"}},
		} {
			r := e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "vault", "action": c.action, "input": c.input})
			if r.Status != 409 || r.code() != "approval_required" {
				t.Fatalf("%s: %d %s", c.action, r.Status, r.Raw)
			}
			for _, leak := range []string{"ACCT-SECRET-9", "PIN-SECRET-8", "731904", "WHOLE-SECRET-6"} {
				if strings.Contains(string(r.Raw), leak) {
					t.Errorf("%s: the answer shows the secret %q: %s", c.action, leak, r.Raw)
				}
			}
			for _, want := range c.shown {
				if !strings.Contains(string(r.Raw), want) {
					t.Errorf("%s: the answer lacks %q: %s", c.action, want, r.Raw)
				}
			}
		}
		// Deleting the user erases their approvals, previews and all.
		appID := appOfUser(t, e, f.user)
		if pending, err := e.DB.ListPendingApprovals(context.Background(), appID, f.user, e.Clock.Now()); err != nil || len(pending) != 2 {
			t.Fatalf("pending before the deletion: %d, %v", len(pending), err)
		}
		if r := e.do("DELETE", "/v1/users/"+f.user, k, nil); r.Status != 204 {
			t.Fatalf("delete user: %d %s", r.Status, r.Raw)
		}
		if pending, err := e.DB.ListPendingApprovals(context.Background(), appID, f.user, e.Clock.Now()); err != nil || len(pending) != 0 {
			t.Errorf("pending after the deletion: %d, %v", len(pending), err)
		}
	})
}
