package httpapi_test

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

func TestAccounts_CreateGetPatchDelete(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(otherKey, "foreign")
		e.mustAccount(otherKey, "shared-id")
		now := e.Clock.Now().Format("2006-01-02T15:04:05Z")
		invalid := func(name string, body any, field string) scenario {
			return scenario{name: name, method: "POST", path: "/v1/accounts", body: body, status: 422, code: "validation_failed", field: field, readOnly: true}
		}
		notFound := func(name, method, path string, body any) scenario {
			return scenario{name: name, method: method, path: path, body: body, status: 404, code: "not_found", readOnly: true}
		}
		cases := []scenario{
			{name: "create with a generated id", method: "POST", path: "/v1/accounts", body: map[string]any{"name": "Acme Corp"}, status: 201,
				check: func(t *testing.T, r response) {
					id, _ := r.Body["id"].(string)
					want := map[string]any{"id": id, "name": "Acme Corp", "created_at": now, "updated_at": now}
					if !strings.HasPrefix(id, "acc_") || !reflect.DeepEqual(r.Body, want) {
						t.Errorf("created %v", r.Body)
					}
				}},
			{name: "create with a chosen id", method: "POST", path: "/v1/accounts", body: map[string]any{"id": "Team_1-a", "name": "Team"}, status: 201,
				check: func(t *testing.T, r response) {
					if r.Body["id"] != "Team_1-a" {
						t.Errorf("created %s", r.Raw)
					}
				}},
			{name: "an id used by another app is free here", method: "POST", path: "/v1/accounts", body: map[string]any{"id": "shared-id", "name": "Mine"}, status: 201},
			{name: "duplicate id", method: "POST", path: "/v1/accounts", body: map[string]any{"id": "Team_1-a", "name": "Impostor"}, status: 409, code: "conflict", field: "id", readOnly: true},
			{name: "ids are case-sensitive", method: "POST", path: "/v1/accounts", body: map[string]any{"id": "team_1-a", "name": "Lower"}, status: 201},
			{name: "a 128-character id", method: "POST", path: "/v1/accounts", body: map[string]any{"id": strings.Repeat("x", 128), "name": "Long"}, status: 201},
			invalid("a 129-character id", map[string]any{"id": strings.Repeat("x", 129), "name": "Long"}, "id"),
			invalid("an empty id", map[string]any{"id": "", "name": "x"}, "id"),
			invalid("id with a space", map[string]any{"id": "a b", "name": "x"}, "id"),
			invalid("id with a slash", map[string]any{"id": "a/b", "name": "x"}, "id"),
			invalid("id with a dot", map[string]any{"id": "a.b", "name": "x"}, "id"),
			invalid("id with non-ASCII", map[string]any{"id": "é", "name": "x"}, "id"),
			invalid("id with a line break", map[string]any{"id": "a\r\nb", "name": "x"}, "id"),
			invalid("missing name", map[string]any{"id": "noname"}, "name"),
			invalid("blank name", map[string]any{"name": "   "}, "name"),
			invalid("name too long", map[string]any{"name": strings.Repeat("n", 256)}, "name"),
			invalid("name with a control character", map[string]any{"name": "a\x00b"}, "name"),
			{name: "id a number", method: "POST", path: "/v1/accounts", body: map[string]any{"id": 5, "name": "x"}, status: 400, code: "invalid_request", field: "id", readOnly: true},
			{name: "unknown field", method: "POST", path: "/v1/accounts", body: map[string]any{"name": "x", "members": []string{}}, status: 400, code: "invalid_request", field: "members", readOnly: true},

			{name: "get", method: "GET", path: "/v1/accounts/Team_1-a", status: 200, readOnly: true, check: func(t *testing.T, r response) {
				if r.Body["name"] != "Team" {
					t.Errorf("got %s", r.Raw)
				}
			}},
			notFound("get another app's account", "GET", "/v1/accounts/foreign", nil),
			notFound("get unknown", "GET", "/v1/accounts/nope", nil),
			notFound("get in another case", "GET", "/v1/accounts/TEAM_1-A", nil),
			notFound("get an escaped id", "GET", "/v1/accounts/"+url.PathEscape("a b"), nil),
			notFound("patch another app's account", "PATCH", "/v1/accounts/foreign", map[string]any{"name": "evil"}),
			notFound("patch unknown", "PATCH", "/v1/accounts/nope", map[string]any{"name": "x"}),
			notFound("delete another app's account", "DELETE", "/v1/accounts/foreign", nil),
			notFound("delete unknown", "DELETE", "/v1/accounts/nope", nil),
			{name: "patch", method: "PATCH", path: "/v1/accounts/Team_1-a", body: map[string]any{"name": "Renamed"}, status: 200, check: func(t *testing.T, r response) {
				if r.Body["name"] != "Renamed" || r.Body["id"] != "Team_1-a" {
					t.Errorf("patched %s", r.Raw)
				}
			}},
			{name: "patch without a name", method: "PATCH", path: "/v1/accounts/Team_1-a", body: map[string]any{}, status: 422, code: "validation_failed", field: "name", readOnly: true},
			{name: "patch blank name", method: "PATCH", path: "/v1/accounts/Team_1-a", body: map[string]any{"name": " "}, status: 422, code: "validation_failed", field: "name", readOnly: true},
			{name: "patch the id", method: "PATCH", path: "/v1/accounts/Team_1-a", body: map[string]any{"id": "x", "name": "y"}, status: 400, code: "invalid_request", field: "id", readOnly: true},
			{name: "delete", method: "DELETE", path: "/v1/accounts/Team_1-a", status: 204},
			notFound("get after delete", "GET", "/v1/accounts/Team_1-a", nil),
			notFound("delete twice", "DELETE", "/v1/accounts/Team_1-a", nil),
			{name: "the other app's account survives", method: "GET", path: "/v1/accounts/foreign", headers: auth(otherKey), status: 200, readOnly: true},
		}
		cases = append(cases, withKey(key, hostileBodies("POST", "/v1/accounts", `{"name":"x"}`))...)
		for _, sc := range withKey(key, hostileBodies("PATCH", "/v1/accounts/shared-id", `{"name":"x"}`)) {
			sc.name = "patch: " + sc.name
			cases = append(cases, sc)
		}
		e.run(t, key, []string{appID, otherID}, cases)
	})
}

func TestAccounts_DeleteRemovesMemberships(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		e.mustAccount(key, "team")
		e.mustAccount(key, "keep")
		u := e.mustUser(key, map[string]any{"external_id": "u", "account_ids": []string{"team", "keep"}})
		if r := e.do("DELETE", "/v1/accounts/team", auth(key), nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Raw)
		}
		r := e.do("GET", "/v1/users/"+u, auth(key), nil)
		if !reflect.DeepEqual(r.Body["account_ids"], []any{"keep"}) {
			t.Fatalf("user after account deletion: %s", r.Raw)
		}
		// Adding the user to the deleted account fails and writes nothing.
		r = e.do("POST", "/v1/users", auth(key), map[string]any{"external_id": "u", "account_ids": []string{"team"}})
		if r.Status != 422 || errorField(r) != "account_ids" {
			t.Fatalf("join deleted account: %d %s", r.Status, r.Raw)
		}
		e.mustAccount(key, "team")
		if ids, _ := e.listAll(key, "/v1/users?account_id=team", 10); len(ids) != 0 {
			t.Errorf("a recreated account inherited members %v", ids)
		}
	})
}

func TestAccounts_List(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		otherID, otherKey := e.newApp("other")
		e.mustAccount(otherKey, "foreign")
		// All share created_at; ids that differ in case and punctuation
		// check that the tie-break is byte order on every engine.
		var want []string
		for i := 0; i < 17; i++ {
			id := []string{"b", "B", "a", "A", "_", "-", "0", "z", "Z"}[i%9] + fmt.Sprint(i)
			want = append(want, e.mustAccount(key, id))
		}
		for i := 0; i < 4; i++ {
			want = append(want, e.mustAccount(key, ""))
		}
		sort.Strings(want)
		for _, size := range []int{1, 2, 7, 21, 100} {
			if ids, _ := e.listAll(key, "/v1/accounts", size); !reflect.DeepEqual(ids, want) {
				t.Fatalf("page size %d:\n got %v\nwant %v", size, ids, want)
			}
		}
		if ids, _ := e.listAll(otherKey, "/v1/accounts", 100); !reflect.DeepEqual(ids, []string{"foreign"}) {
			t.Errorf("other app lists %v", ids)
		}
		token := e.do("GET", "/v1/accounts?page_size=3", auth(key), nil).Body["next_page_token"].(string)
		e.mustAccount(otherKey, "foreign2")
		otherToken := e.do("GET", "/v1/accounts?page_size=1", auth(otherKey), nil).Body["next_page_token"].(string)
		e.mustUser(key, map[string]any{"external_id": "a"})
		e.mustUser(key, map[string]any{"external_id": "b"})
		userToken := e.do("GET", "/v1/users?page_size=1", auth(key), nil).Body["next_page_token"].(string)
		bad := func(name, query, field string) scenario {
			return scenario{name: name, method: "GET", path: "/v1/accounts?" + query, status: 400, code: "invalid_request", field: field, readOnly: true}
		}
		e.run(t, key, []string{appID, otherID}, []scenario{
			{name: "token continues", method: "GET", path: "/v1/accounts?page_size=3&page_token=" + url.QueryEscape(token), status: 200, readOnly: true,
				check: func(t *testing.T, r response) {
					if got := r.Body["data"].([]any)[0].(map[string]any)["id"]; got != want[3] {
						t.Errorf("second page starts at %v, want %s", got, want[3])
					}
				}},
			bad("page_size 0", "page_size=0", "page_size"),
			bad("page_size 101", "page_size=101", "page_size"),
			bad("page_size -1", "page_size=-1", "page_size"),
			bad("page_size abc", "page_size=abc", "page_size"),
			bad("forged page_token", "page_token=forged", "page_token"),
			bad("altered page_token", "page_token="+url.QueryEscape(flipChar(token, 3)), "page_token"),
			bad("page_token of the users list", "page_token="+url.QueryEscape(userToken), "page_token"),
			bad("page_token of another app", "page_token="+url.QueryEscape(otherToken), "page_token"),
		})
	})
}
