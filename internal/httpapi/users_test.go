package httpapi_test

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

func TestUsers_Create(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(key, "team")
		e.mustAccount(key, "sales")
		e.mustAccount(otherKey, "foreign")
		now := e.Clock.Now().Format("2006-01-02T15:04:05Z")
		var annID string
		e.run(t, key, []string{appID, otherID}, []scenario{
			{name: "create by external_id", method: "POST", path: "/v1/users", status: 201,
				body: map[string]any{"external_id": "u-42", "email": "Ann@Example.COM", "name": "Ann", "metadata": map[string]any{"plan": "pro"}, "account_ids": []string{"team"}},
				check: func(t *testing.T, r response) {
					annID, _ = r.Body["id"].(string)
					want := map[string]any{"id": annID, "external_id": "u-42", "email": "ann@example.com", "name": "Ann",
						"metadata": map[string]any{"plan": "pro"}, "account_ids": []any{"team"}, "created_at": now, "updated_at": now}
					if !strings.HasPrefix(annID, "usr_") || !reflect.DeepEqual(r.Body, want) {
						t.Errorf("created\n %v\nwant %v", r.Body, want)
					}
				}},
			{name: "find by external_id keeps fields and adds accounts", method: "POST", path: "/v1/users", status: 200,
				body: map[string]any{"external_id": "u-42", "email": "other@example.com", "name": "Impostor", "metadata": map[string]any{"x": 1}, "account_ids": []string{"sales"}},
				check: func(t *testing.T, r response) {
					if r.Body["id"] != annID || r.Body["name"] != "Ann" || r.Body["email"] != "ann@example.com" ||
						!reflect.DeepEqual(r.Body["metadata"], map[string]any{"plan": "pro"}) ||
						!reflect.DeepEqual(r.Body["account_ids"], []any{"sales", "team"}) {
						t.Errorf("found %s", r.Raw)
					}
				}},
			{name: "find again writes nothing", method: "POST", path: "/v1/users", status: 200, readOnly: true,
				body: map[string]any{"external_id": "u-42", "name": "Impostor"}},
			{name: "create by email, normalised", method: "POST", path: "/v1/users", status: 201,
				body: map[string]any{"email": "  Bob@Example.COM "},
				check: func(t *testing.T, r response) {
					if r.Body["email"] != "bob@example.com" || r.Body["external_id"] != nil || !reflect.DeepEqual(r.Body["metadata"], map[string]any{}) ||
						!reflect.DeepEqual(r.Body["account_ids"], []any{}) || r.Body["name"] != "" {
						t.Errorf("created %s", r.Raw)
					}
				}},
			{name: "find by email in another case", method: "POST", path: "/v1/users", status: 200, readOnly: true,
				body: map[string]any{"email": "BOB@example.com"}},
			{name: "an email equal to an external_id is another user", method: "POST", path: "/v1/users", status: 201,
				body: map[string]any{"email": "u-42@example.com"}},
			{name: "an external_id equal to an email is another user", method: "POST", path: "/v1/users", status: 201,
				body: map[string]any{"external_id": "bob@example.com"}},
			{name: "the email of an external-id user names that user instead of a second one", method: "POST", path: "/v1/users",
				body: map[string]any{"email": "ANN@example.com"}, status: 409, code: "conflict", field: "email", readOnly: true,
				check: func(t *testing.T, r response) {
					if got := errorDetails(r)["user_id"]; got != annID {
						t.Errorf("details.user_id = %v, want %s", got, annID)
					}
				}},
			{name: "null metadata is an empty object", method: "POST", path: "/v1/users", status: 201,
				body: `{"external_id":"null-md","metadata":null}`,
				check: func(t *testing.T, r response) {
					if !reflect.DeepEqual(r.Body["metadata"], map[string]any{}) {
						t.Errorf("metadata = %v", r.Body["metadata"])
					}
				}},
			{name: "the same external_id in another app is another user", method: "POST", path: "/v1/users", headers: auth(otherKey), status: 201,
				body: map[string]any{"external_id": "u-42"},
				check: func(t *testing.T, r response) {
					if r.Body["id"] == annID {
						t.Error("another app found this app's user")
					}
				}},
		})
		if n := e.countUsers(appID); n != 5 {
			t.Errorf("%d users, want 5", n)
		}
	})
}

func TestUsers_CreateRejects(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(key, "team")
		e.mustAccount(otherKey, "foreign")
		e.mustUser(key, map[string]any{"external_id": "existing", "account_ids": []string{"team"}})
		invalid := func(name string, body any, field string) scenario {
			return scenario{name: name, method: "POST", path: "/v1/users", body: body, status: 422, code: "validation_failed", field: field, readOnly: true}
		}
		bad := func(name string, body any, field string) scenario {
			return scenario{name: name, method: "POST", path: "/v1/users", body: body, status: 400, code: "invalid_request", field: field, readOnly: true}
		}
		manyAccounts := make([]string, 101)
		for i := range manyAccounts {
			manyAccounts[i] = fmt.Sprint("a", i)
		}
		cases := []scenario{
			invalid("neither external_id nor email", map[string]any{"name": "Ann"}, "external_id"),
			bad("null body", `null`, ""),
			invalid("empty external_id", map[string]any{"external_id": ""}, "external_id"),
			invalid("256-byte external_id", map[string]any{"external_id": strings.Repeat("x", 256)}, "external_id"),
			invalid("10 KB external_id", map[string]any{"external_id": strings.Repeat("x", 10<<10)}, "external_id"),
			invalid("external_id with a NUL", map[string]any{"external_id": "a\x00b"}, "external_id"),
			invalid("external_id with a line break", map[string]any{"external_id": "a\nb"}, "external_id"),
			invalid("external_id with DEL", map[string]any{"external_id": "a\x7fb"}, "external_id"),
			invalid("external_id with a C1 control", map[string]any{"external_id": "a\u0085b"}, "external_id"),
			invalid("external_id with a lone surrogate escape", `{"external_id":"a\ud800b"}`, "external_id"),
			invalid("external_id with U+FFFD", map[string]any{"external_id": "a\ufffdb"}, "external_id"),
			// Raw invalid UTF-8 is malformed JSON text: refused before any
			// field is looked at.
			bad("invalid UTF-8 bytes in external_id", []byte("{\"external_id\":\"u-\xff\xfe\"}"), ""),
			bad("overlong UTF-8 in external_id", []byte("{\"external_id\":\"\xc0\xaf\"}"), ""),
			invalid("email with CRLF", map[string]any{"email": "ann@example.com\r\nBcc: evil@example.com"}, "email"),
			invalid("email with a trailing CRLF", map[string]any{"email": "ann@example.com\r\n"}, "email"),
			invalid("email with a space", map[string]any{"email": "ann smith@example.com"}, "email"),
			invalid("email without @", map[string]any{"email": "ann.example.com"}, "email"),
			invalid("email with two @", map[string]any{"email": "ann@b@example.com"}, "email"),
			invalid("email with nothing before @", map[string]any{"email": "@example.com"}, "email"),
			func() scenario {
				sc := invalid("email too long", map[string]any{"email": strings.Repeat("a", 250) + "@example.com"}, "email")
				sc.message = "email must be at most 254 bytes; this one is 262."
				return sc
			}(),
			invalid("email with angle brackets", map[string]any{"email": "Ann <ann@example.com>"}, "email"),
			invalid("bad email beside a good external_id", map[string]any{"external_id": "new", "email": "nope"}, "email"),
			invalid("name too long", map[string]any{"external_id": "new", "name": strings.Repeat("n", 256)}, "name"),
			invalid("name with a control character", map[string]any{"external_id": "new", "name": "a\x1bb"}, "name"),
			bad("metadata an array", map[string]any{"external_id": "new", "metadata": []int{1}}, "metadata"),
			bad("metadata a string", map[string]any{"external_id": "new", "metadata": "x"}, "metadata"),
			invalid("metadata above 16 KiB", map[string]any{"external_id": "new", "metadata": map[string]any{"k": strings.Repeat("v", 16<<10)}}, "metadata"),
			invalid("unknown account", map[string]any{"external_id": "new", "account_ids": []string{"team", "nope"}}, "account_ids"),
			invalid("another app's account", map[string]any{"external_id": "new", "account_ids": []string{"foreign"}}, "account_ids"),
			invalid("unknown account for a found user", map[string]any{"external_id": "existing", "account_ids": []string{"nope"}}, "account_ids"),
			invalid("malformed account id", map[string]any{"external_id": "new", "account_ids": []string{"a b"}}, "account_ids"),
			invalid("too many account ids", map[string]any{"external_id": "new", "account_ids": manyAccounts}, "account_ids"),
			bad("account_ids a string", map[string]any{"external_id": "new", "account_ids": "team"}, "account_ids"),
			bad("external_id a number", map[string]any{"external_id": 42}, "external_id"),
			bad("duplicate external_id", `{"external_id":"a","external_id":"b"}`, "external_id"),
			bad("duplicate key in metadata", `{"external_id":"a","metadata":{"k":1,"k":2}}`, "metadata.k"),
			bad("unknown field", map[string]any{"external_id": "a", "id": "usr_mine"}, "id"),
		}
		cases = append(cases, withKey(key, hostileBodies("POST", "/v1/users", `{"external_id":"x"}`))...)
		e.run(t, key, []string{appID, otherID}, cases)
	})
}

func TestUsers_MaxUsers(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		if r := e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_users": 2}}); r.Status != 200 {
			t.Fatalf("set max_users: %s", r.Raw)
		}
		e.mustUser(key, map[string]any{"external_id": "1"})
		e.mustUser(key, map[string]any{"email": "two@example.com"})
		e.run(t, key, []string{appID}, []scenario{
			{name: "third user", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "3"}, status: 402, code: "quota_exceeded", readOnly: true,
				check: func(t *testing.T, r response) {
					d, _ := r.Body["error"].(map[string]any)["details"].(map[string]any)
					if d["max_users"] != 2.0 {
						t.Errorf("details = %v", d)
					}
				}},
			{name: "existing user is still found", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "1"}, status: 200, readOnly: true},
			{name: "existing email user is still found", method: "POST", path: "/v1/users", body: map[string]any{"email": "TWO@example.com"}, status: 200, readOnly: true},
			{name: "lift the limit", method: "PATCH", path: "/v1/app", body: `{"settings":{"max_users":null}}`, status: 200},
			{name: "third user after lifting", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "3"}, status: 201},
			{name: "a limit of one", method: "PATCH", path: "/v1/app", body: `{"settings":{"max_users":1}}`, status: 200},
			{name: "past a limit of one", method: "POST", path: "/v1/users", body: map[string]any{"external_id": "4"}, status: 402, code: "quota_exceeded", readOnly: true,
				check: func(t *testing.T, r response) {
					if msg := r.Body["error"].(map[string]any)["message"]; msg != "The app has reached its limit of 1 user." {
						t.Errorf("message %q", msg)
					}
				}},
		})
	})
}

func TestUsers_MaxUsersUnderConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"max_users": 5}})
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.do("POST", "/v1/users", auth(key), map[string]any{"external_id": fmt.Sprint("u-", i)})
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if statuses[201] != 5 || statuses[402] != 15 {
			t.Errorf("statuses %v, want 5×201 and 15×402", statuses)
		}
		if n := e.countUsers(appID); n != 5 {
			t.Errorf("%d users stored, want 5", n)
		}
	})
}

func TestUsers_GetPatchDelete(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(key, "a1")
		e.mustAccount(key, "a2")
		e.mustAccount(otherKey, "foreign")
		ann := e.mustUser(key, map[string]any{"external_id": "ann", "email": "ann@example.com", "name": "Ann", "account_ids": []string{"a1"}})
		e.mustUser(key, map[string]any{"external_id": "taken"})
		byEmail := e.mustUser(key, map[string]any{"email": "solo@example.com"})
		e.mustUser(key, map[string]any{"email": "taken@example.com"})
		foreign := e.mustUser(otherKey, map[string]any{"external_id": "ann", "name": "Foreign"})
		watch := []string{appID, otherID}
		notFound := func(name, method, path string, body any) scenario {
			return scenario{name: name, method: method, path: path, body: body, status: 404, code: "not_found", readOnly: true}
		}
		cases := []scenario{
			{name: "get", method: "GET", path: "/v1/users/" + ann, status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["id"] != ann || r.Body["name"] != "Ann" || !reflect.DeepEqual(r.Body["account_ids"], []any{"a1"}) {
					t.Errorf("got %s", r.Raw)
				}
			}},
			notFound("get another app's user", "GET", "/v1/users/"+foreign, nil),
			notFound("get unknown", "GET", "/v1/users/usr_doesnotexist", nil),
			notFound("get with a path-ish id", "GET", "/v1/users/"+url.PathEscape("../app"), nil),
			notFound("patch another app's user", "PATCH", "/v1/users/"+foreign, map[string]any{"name": "evil"}),
			notFound("patch unknown", "PATCH", "/v1/users/usr_doesnotexist", map[string]any{"name": "x"}),
			notFound("delete another app's user", "DELETE", "/v1/users/"+foreign, nil),
			notFound("delete unknown", "DELETE", "/v1/users/usr_doesnotexist", nil),
			{name: "patch name and metadata", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"name": "Annie", "metadata": map[string]any{"k": "v"}}, status: 200,
				check: func(t *testing.T, r response) {
					if r.Body["name"] != "Annie" || !reflect.DeepEqual(r.Body["metadata"], map[string]any{"k": "v"}) || r.Body["external_id"] != "ann" ||
						!reflect.DeepEqual(r.Body["account_ids"], []any{"a1"}) {
						t.Errorf("patched %s", r.Raw)
					}
				}},
			{name: "patch email normalised", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"email": " ANN2@Example.com"}, status: 200,
				check: func(t *testing.T, r response) {
					if r.Body["email"] != "ann2@example.com" {
						t.Errorf("email = %v", r.Body["email"])
					}
				}},
			{name: "patch replaces account_ids", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"account_ids": []string{"a2"}}, status: 200,
				check: func(t *testing.T, r response) {
					if !reflect.DeepEqual(r.Body["account_ids"], []any{"a2"}) {
						t.Errorf("account_ids = %v", r.Body["account_ids"])
					}
				}},
			{name: "patch with an empty body changes nothing", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{}, status: 200},
			{name: "external_id taken", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"external_id": "taken", "name": "x"}, status: 409, code: "conflict", readOnly: true},
			{name: "email key taken", method: "PATCH", path: "/v1/users/" + byEmail, body: map[string]any{"email": "Taken@example.com", "name": "x"}, status: 409, code: "conflict", readOnly: true},
			{name: "patch unknown account", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"name": "x", "account_ids": []string{"a1", "nope"}}, status: 422, code: "validation_failed", field: "account_ids", readOnly: true},
			{name: "patch another app's account", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"account_ids": []string{"foreign"}}, status: 422, code: "validation_failed", field: "account_ids", readOnly: true},
			{name: "patch email with CRLF", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"email": "a@b.c\r\nX: y"}, status: 422, code: "validation_failed", field: "email", readOnly: true},
			{name: "patch 10 KB external_id", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"external_id": strings.Repeat("x", 10<<10)}, status: 422, code: "validation_failed", field: "external_id", readOnly: true},
			{name: "patch empty external_id", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"external_id": ""}, status: 422, code: "validation_failed", field: "external_id", readOnly: true},
			{name: "patch metadata array", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"metadata": []int{}}, status: 400, code: "invalid_request", field: "metadata", readOnly: true},
			{name: "patch invalid UTF-8", method: "PATCH", path: "/v1/users/" + ann, body: []byte("{\"external_id\":\"\xff\"}"), status: 400, code: "invalid_request", readOnly: true},
			{name: "patch unknown field", method: "PATCH", path: "/v1/users/" + ann, body: map[string]any{"id": "usr_x"}, status: 400, code: "invalid_request", field: "id", readOnly: true},
			{name: "delete", method: "DELETE", path: "/v1/users/" + ann, status: 204},
			notFound("get after delete", "GET", "/v1/users/"+ann, nil),
			notFound("delete twice", "DELETE", "/v1/users/"+ann, nil),
			{name: "the other app's user survives", method: "GET", path: "/v1/users/" + foreign, headers: auth(otherKey), status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["name"] != "Foreign" {
					t.Errorf("foreign user changed: %s", r.Raw)
				}
			}},
		}
		for _, sc := range withKey(key, hostileBodies("PATCH", "/v1/users/"+byEmail, `{"name":"x"}`)) {
			sc.name = "patch: " + sc.name
			cases = append(cases, sc)
		}
		e.run(t, key, watch, cases)
		// The deleted user is gone from its account too.
		if ids, _ := e.listAll(key, "/v1/users?account_id=a1", 10); len(ids) != 0 {
			t.Errorf("account a1 still lists %v", ids)
		}
		if r := e.do("DELETE", "/v1/users/"+ann, auth(key), nil); r.Status != 404 {
			t.Errorf("delete again: %d", r.Status)
		}
	})
}

func TestUsers_List(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(key, "team")
		// The clock stands still: every user shares one created_at, so
		// pages rely on the id tie-break.
		// The user keyed by email comes first: once users with an external
		// id hold an email, creating one keyed by it is a conflict.
		byEmail := e.mustUser(key, map[string]any{"email": "user1@example.com"})
		all, team := []string{byEmail}, []string{}
		for i := 0; i < 23; i++ {
			body := map[string]any{"external_id": fmt.Sprint("u-", i), "email": fmt.Sprintf("user%d@example.com", i%3)}
			if i%4 == 0 {
				body["account_ids"] = []string{"team"}
			}
			id := e.mustUser(key, body)
			all = append(all, id)
			if i%4 == 0 {
				team = append(team, id)
			}
		}
		e.mustUser(otherKey, map[string]any{"external_id": "u-1"})
		sort.Strings(all)
		sort.Strings(team)

		for _, size := range []int{1, 5, 24, 100} {
			ids, tokens := e.listAll(key, "/v1/users", size)
			if !reflect.DeepEqual(ids, all) {
				t.Fatalf("page size %d:\n got %v\nwant %v", size, ids, all)
			}
			if want := (len(all) - 1) / size; len(tokens) != want {
				t.Errorf("page size %d: %d next tokens, want %d", size, len(tokens), want)
			}
		}
		if ids, _ := e.listAll(key, "/v1/users?account_id=team", 2); !reflect.DeepEqual(ids, team) {
			t.Errorf("account filter: %v, want %v", ids, team)
		}
		if ids, _ := e.listAll(key, "/v1/users?external_id=u-7", 2); len(ids) != 1 {
			t.Errorf("external_id filter: %v", ids)
		}
		// The email filter is normalised like the email itself, and
		// matches users of both namespaces.
		ids, _ := e.listAll(key, "/v1/users?email="+url.QueryEscape(" USER1@example.com"), 3)
		if len(ids) != 9 {
			t.Errorf("email filter: %d users, want 9", len(ids))
		}
		if ids, _ := e.listAll(key, "/v1/users?external_id=nope", 2); len(ids) != 0 {
			t.Errorf("unknown external_id: %v", ids)
		}
		// Another app sees only its own user.
		if ids, _ := e.listAll(otherKey, "/v1/users", 100); len(ids) != 1 {
			t.Errorf("other app lists %d users", len(ids))
		}

		first := e.do("GET", "/v1/users?page_size=2", auth(key), nil)
		token := first.Body["next_page_token"].(string)
		filtered := e.do("GET", "/v1/users?page_size=2&account_id=team", auth(key), nil)
		filteredToken := filtered.Body["next_page_token"].(string)
		accountToken := func() string {
			for i := 0; i < 3; i++ {
				e.mustAccount(key, "")
			}
			r := e.do("GET", "/v1/accounts?page_size=1", auth(key), nil)
			return r.Body["next_page_token"].(string)
		}()
		e.mustUser(otherKey, map[string]any{"external_id": "u-2"})
		otherToken := e.do("GET", "/v1/users?page_size=1", auth(otherKey), nil).Body["next_page_token"].(string)

		badPage := func(name, query string, field string) scenario {
			return scenario{name: name, method: "GET", path: "/v1/users?" + query, status: 400, code: "invalid_request", field: field, readOnly: true}
		}
		e.run(t, key, []string{appID, otherID}, []scenario{
			{name: "default page size is 20", method: "GET", path: "/v1/users", status: 200, check: func(t *testing.T, r response) {
				if n := len(r.Body["data"].([]any)); n != 20 || r.Body["next_page_token"] == nil {
					t.Errorf("%d rows, next %v", n, r.Body["next_page_token"])
				}
			}},
			{name: "last page has a null token", method: "GET", path: "/v1/users?page_size=100", status: 200, check: func(t *testing.T, r response) {
				if v, ok := r.Body["next_page_token"]; !ok || v != nil {
					t.Errorf("next_page_token = %v (present %v)", v, ok)
				}
			}},
			{name: "empty result is an empty array", method: "GET", path: "/v1/users?external_id=nope", status: 200, check: func(t *testing.T, r response) {
				if !strings.Contains(string(r.Raw), `"data":[]`) {
					t.Errorf("body %s", r.Raw)
				}
			}},
			{name: "valid token continues", method: "GET", path: "/v1/users?page_size=2&page_token=" + url.QueryEscape(token), status: 200, check: func(t *testing.T, r response) {
				if got := r.Body["data"].([]any)[0].(map[string]any)["id"]; got != all[2] {
					t.Errorf("second page starts at %v, want %s", got, all[2])
				}
			}},
			badPage("page_size 0", "page_size=0", "page_size"),
			badPage("page_size 101", "page_size=101", "page_size"),
			badPage("page_size -1", "page_size=-1", "page_size"),
			badPage("page_size abc", "page_size=abc", "page_size"),
			badPage("page_size empty", "page_size=", "page_size"),
			badPage("page_size fraction", "page_size=1.5", "page_size"),
			badPage("page_size huge", "page_size=99999999999999999999", "page_size"),
			badPage("forged page_token", "page_token=abc", "page_token"),
			badPage("forged base64 page_token", "page_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "page_token"),
			badPage("altered page_token", "page_token="+url.QueryEscape(flipChar(token, len(token)/2)), "page_token"),
			badPage("altered last char of page_token", "page_token="+url.QueryEscape(flipChar(token, len(token)-1)), "page_token"),
			badPage("truncated page_token", "page_token="+url.QueryEscape(token[:len(token)-2]), "page_token"),
			badPage("page_token with padding", "page_token="+url.QueryEscape(token+"="), "page_token"),
			badPage("page_token of the accounts list", "page_token="+url.QueryEscape(accountToken), "page_token"),
			badPage("page_token of another app", "page_token="+url.QueryEscape(otherToken), "page_token"),
			badPage("page_token of a filtered list", "page_token="+url.QueryEscape(filteredToken), "page_token"),
			badPage("page_token with another filter", "account_id=team&page_token="+url.QueryEscape(token), "page_token"),
			badPage("page_token huge", "page_token="+strings.Repeat("A", 4096), "page_token"),
		})
	})
}

// flipChar changes the i-th character of a base64url token to another
// character of the alphabet.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
