package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/openapi"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/upstream"
)

// withOpenAPI lets PUT /v1/integrations read OpenAPI documents, fetching
// them from loopback servers through the address guard.
func withOpenAPI(o *httpapi.Options) {
	withUpstream(o)
	o.Service.OpenAPI = &openapi.Importer{Client: upstream.NewClient(&upstream.Guard{AllowPrivate: true}, 0), FetchFailure: upstream.FetchFailure}
}

// importCase is one operation of a real document: the input given to its
// action and the request the upstream must see.
type importCase struct {
	op, action  string
	input       map[string]any
	method      string
	path, query string
	body        string // JSON; "" for no body
}

var petstoreCases = []importCase{
	{"addPet", "add_pet", map[string]any{"name": "Rex", "photoUrls": []string{"u"}, "category": map[string]any{"id": 1, "name": "Dogs"}}, "POST", "/pet", "", `{"name":"Rex","photoUrls":["u"],"category":{"id":1,"name":"Dogs"}}`},
	{"updatePet", "update_pet", map[string]any{"id": 10, "name": "Rex", "photoUrls": []string{}, "status": "sold"}, "PUT", "/pet", "", `{"id":10,"name":"Rex","photoUrls":[],"status":"sold"}`},
	{"findPetsByStatus", "find_pets_by_status", map[string]any{"status": "pending"}, "GET", "/pet/findByStatus", "status=pending", ""},
	{"findPetsByTags", "find_pets_by_tags", map[string]any{"tags": []string{"a", "b"}}, "GET", "/pet/findByTags", "tags=a&tags=b", ""},
	{"getPetById", "get_pet_by_id", map[string]any{"petId": 7}, "GET", "/pet/7", "", ""},
	{"updatePetWithForm", "update_pet_with_form", map[string]any{"petId": 7, "name": "Rex", "status": "sold"}, "POST", "/pet/7", "name=Rex&status=sold", ""},
	{"deletePet", "delete_pet", map[string]any{"petId": 7}, "DELETE", "/pet/7", "", ""},
	{"getInventory", "get_inventory", nil, "GET", "/store/inventory", "", ""},
	{"placeOrder", "place_order", map[string]any{"petId": 7, "quantity": 2, "shipDate": "2026-12-04T10:00:00Z", "status": "placed"}, "POST", "/store/order", "", `{"petId":7,"quantity":2,"shipDate":"2026-12-04T10:00:00Z","status":"placed"}`},
	{"getOrderById", "get_order_by_id", map[string]any{"orderId": 3}, "GET", "/store/order/3", "", ""},
	{"deleteOrder", "delete_order", map[string]any{"orderId": 3}, "DELETE", "/store/order/3", "", ""},
	{"createUser", "create_user", map[string]any{"username": "ann", "email": "ann@example.com"}, "POST", "/user", "", `{"username":"ann","email":"ann@example.com"}`},
	{"createUsersWithListInput", "create_users_with_list_input", map[string]any{"body": []any{map[string]any{"username": "ann"}, map[string]any{"username": "bob"}}}, "POST", "/user/createWithList", "", `[{"username":"ann"},{"username":"bob"}]`},
	{"loginUser", "login_user", map[string]any{"username": "ann", "password": "pw"}, "GET", "/user/login", "password=pw&username=ann", ""},
	{"logoutUser", "logout_user", nil, "GET", "/user/logout", "", ""},
	{"getUserByName", "get_user_by_name", map[string]any{"username": "ann"}, "GET", "/user/ann", "", ""},
	// username is both the path parameter and a body property: the body's
	// is renamed body_username and sent back as username.
	{"PUT /user/{username}", "update_user", map[string]any{"username": "ann", "body_username": "annie", "email": "a@example.com"}, "PUT", "/user/ann", "", `{"username":"annie","email":"a@example.com"}`},
	{"deleteUser", "delete_user", map[string]any{"username": "ann"}, "DELETE", "/user/ann", "", ""},
}

var museumCases = []importCase{
	{"getMuseumHours", "get_museum_hours", map[string]any{"startDate": "2026-12-04", "page": 2, "limit": 15}, "GET", "/museum-hours", "limit=15&page=2&startDate=2026-12-04", ""},
	{"listSpecialEvents", "list_special_events", map[string]any{"startDate": "2026-12-04", "endDate": "2026-12-11"}, "GET", "/special-events", "endDate=2026-12-11&startDate=2026-12-04", ""},
	{"createSpecialEvent", "create_special_event", map[string]any{"name": "Pirates", "location": "Hall", "eventDescription": "Arr", "dates": []string{"2026-12-24"}, "price": 25}, "POST", "/special-events", "", `{"name":"Pirates","location":"Hall","eventDescription":"Arr","dates":["2026-12-24"],"price":25}`},
	{"getSpecialEvent", "get_special_event", map[string]any{"eventId": "dad4bce8-f5cb-4078-a211-995864315e39"}, "GET", "/special-events/dad4bce8-f5cb-4078-a211-995864315e39", "", ""},
	{"updateSpecialEvent", "update_special_event", map[string]any{"eventId": "dad4bce8-f5cb-4078-a211-995864315e39", "price": 30}, "PATCH", "/special-events/dad4bce8-f5cb-4078-a211-995864315e39", "", `{"price":30}`},
	{"deleteSpecialEvent", "delete_special_event", map[string]any{"eventId": "dad4bce8-f5cb-4078-a211-995864315e39"}, "DELETE", "/special-events/dad4bce8-f5cb-4078-a211-995864315e39", "", ""},
	// The body is an allOf: it stays whole, under the input property body.
	{"buyMuseumTickets", "buy_museum_tickets", map[string]any{"body": map[string]any{"ticketType": "general", "ticketDate": "2026-12-24", "email": "ann@example.com"}}, "POST", "/tickets", "", `{"ticketType":"general","ticketDate":"2026-12-24","email":"ann@example.com"}`},
	{"GET /tickets/{ticketId}/qr", "get_ticket_code", map[string]any{"ticketId": "a54a57ca-36f8-421b-a6b4-2e8f26858a4c"}, "GET", "/tickets/a54a57ca-36f8-421b-a6b4-2e8f26858a4c/qr", "", ""},
}

// githubCases: every operation of the trimmed GitHub REST description
// (34 operations of 15 paths; bodies with oneOf, nullable and nested
// objects; arrays in the query; operationIds with slashes).
var githubCases = []importCase{
	{"users/get-authenticated", "users_get-authenticated", nil, "GET", "/user", "", ""},
	{"users/update-authenticated", "users_update-authenticated", map[string]any{"bio": "Hi", "hireable": true}, "PATCH", "/user", "", `{"bio":"Hi","hireable":true}`},
	{"repos/get", "repos_get", ghRepo(nil), "GET", "/repos/acme/web", "", ""},
	{"repos/update", "repos_update", ghRepo(map[string]any{"description": "Web site", "has_wiki": false}), "PATCH", "/repos/acme/web", "", `{"description":"Web site","has_wiki":false}`},
	{"repos/delete", "repos_delete", ghRepo(nil), "DELETE", "/repos/acme/web", "", ""},
	{"issues/list-for-repo", "issues_list-for-repo", ghRepo(map[string]any{"state": "closed", "labels": "bug,ui", "per_page": 50}), "GET", "/repos/acme/web/issues", "labels=bug%2Cui&per_page=50&state=closed", ""},
	{"issues/create", "issues_create", ghRepo(map[string]any{"title": "Broken link", "labels": []any{"bug", map[string]any{"name": "ui"}}, "milestone": 3}), "POST", "/repos/acme/web/issues", "", `{"title":"Broken link","labels":["bug",{"name":"ui"}],"milestone":3}`},
	{"issues/get", "issues_get", ghIssue(nil), "GET", "/repos/acme/web/issues/7", "", ""},
	{"issues/update", "issues_update", ghIssue(map[string]any{"state": "closed", "state_reason": "completed", "assignees": []string{"ann"}}), "PATCH", "/repos/acme/web/issues/7", "", `{"state":"closed","state_reason":"completed","assignees":["ann"]}`},
	{"issues/list-comments", "issues_list-comments", ghIssue(map[string]any{"since": "2026-12-01T00:00:00Z"}), "GET", "/repos/acme/web/issues/7/comments", "since=2026-12-01T00%3A00%3A00Z", ""},
	{"issues/create-comment", "issues_create-comment", ghIssue(map[string]any{"body": "Fixed in #8."}), "POST", "/repos/acme/web/issues/7/comments", "", `{"body":"Fixed in #8."}`},
	{"issues/get-comment", "issues_get-comment", ghRepo(map[string]any{"comment_id": 9}), "GET", "/repos/acme/web/issues/comments/9", "", ""},
	{"issues/update-comment", "issues_update-comment", ghRepo(map[string]any{"comment_id": 9, "body": "Edited"}), "PATCH", "/repos/acme/web/issues/comments/9", "", `{"body":"Edited"}`},
	{"issues/delete-comment", "issues_delete-comment", ghRepo(map[string]any{"comment_id": 9}), "DELETE", "/repos/acme/web/issues/comments/9", "", ""},
	{"issues/list-labels-on-issue", "issues_list-labels-on-issue", ghIssue(map[string]any{"page": 2}), "GET", "/repos/acme/web/issues/7/labels", "page=2", ""},
	// A body that is one of several shapes stays whole, under body.
	{"issues/add-labels", "issues_add-labels", ghIssue(map[string]any{"body": map[string]any{"labels": []string{"bug"}}}), "POST", "/repos/acme/web/issues/7/labels", "", `{"labels":["bug"]}`},
	{"issues/set-labels", "issues_set-labels", ghIssue(map[string]any{"body": map[string]any{"labels": []any{map[string]any{"name": "bug"}}}}), "PUT", "/repos/acme/web/issues/7/labels", "", `{"labels":[{"name":"bug"}]}`},
	{"issues/remove-all-labels", "issues_remove-all-labels", ghIssue(nil), "DELETE", "/repos/acme/web/issues/7/labels", "", ""},
	{"issues/list-labels-for-repo", "issues_list-labels-for-repo", ghRepo(nil), "GET", "/repos/acme/web/labels", "", ""},
	{"issues/create-label", "issues_create-label", ghRepo(map[string]any{"name": "good first issue", "color": "7057ff"}), "POST", "/repos/acme/web/labels", "", `{"name":"good first issue","color":"7057ff"}`},
	{"pulls/list", "pulls_list", ghRepo(map[string]any{"state": "open", "base": "main"}), "GET", "/repos/acme/web/pulls", "base=main&state=open", ""},
	{"pulls/create", "pulls_create", ghRepo(map[string]any{"title": "Fix link", "head": "ann:fix", "base": "main", "draft": true}), "POST", "/repos/acme/web/pulls", "", `{"title":"Fix link","head":"ann:fix","base":"main","draft":true}`},
	{"pulls/get", "pulls_get", ghRepo(map[string]any{"pull_number": 5}), "GET", "/repos/acme/web/pulls/5", "", ""},
	{"pulls/update", "pulls_update", ghRepo(map[string]any{"pull_number": 5, "state": "closed"}), "PATCH", "/repos/acme/web/pulls/5", "", `{"state":"closed"}`},
	{"search/issues-and-pull-requests", "search_issues-and-pull-requests", map[string]any{"q": "repo:acme/web is:open", "sort": "created", "order": "asc"}, "GET", "/search/issues", "order=asc&q=repo%3Aacme%2Fweb+is%3Aopen&sort=created", ""},
	{"repos/list-for-authenticated-user", "repos_list-for-authenticated-user", map[string]any{"visibility": "private", "per_page": 100}, "GET", "/user/repos", "per_page=100&visibility=private", ""},
	{"repos/create-for-authenticated-user", "repos_create-for-authenticated-user", map[string]any{"name": "notes", "private": true, "auto_init": true}, "POST", "/user/repos", "", `{"name":"notes","private":true,"auto_init":true}`},
	{"repos/get-content", "repos_get-content", ghRepo(map[string]any{"path": "README.md", "ref": "main"}), "GET", "/repos/acme/web/contents/README.md", "ref=main", ""},
	{"repos/create-or-update-file-contents", "repos_create-or-update-file-contents", ghRepo(map[string]any{"path": "README.md", "message": "Update", "content": "SGk=", "committer": map[string]any{"name": "Ann", "email": "ann@example.com"}}), "PUT", "/repos/acme/web/contents/README.md", "", `{"message":"Update","content":"SGk=","committer":{"name":"Ann","email":"ann@example.com"}}`},
	{"repos/delete-file", "repos_delete-file", ghRepo(map[string]any{"path": "README.md", "message": "Remove", "sha": "abc123"}), "DELETE", "/repos/acme/web/contents/README.md", "", `{"message":"Remove","sha":"abc123"}`},
	{"repos/list-releases", "repos_list-releases", ghRepo(nil), "GET", "/repos/acme/web/releases", "", ""},
	{"repos/create-release", "repos_create-release", ghRepo(map[string]any{"tag_name": "v1.0.0", "generate_release_notes": true}), "POST", "/repos/acme/web/releases", "", `{"tag_name":"v1.0.0","generate_release_notes":true}`},
	{"gists/list", "gists_list", map[string]any{"since": "2026-12-01T00:00:00Z"}, "GET", "/gists", "since=2026-12-01T00%3A00%3A00Z", ""},
	{"gists/create", "gists_create", map[string]any{"description": "Notes", "public": false, "files": map[string]any{"a.md": map[string]any{"content": "# A"}}}, "POST", "/gists", "", `{"description":"Notes","public":false,"files":{"a.md":{"content":"# A"}}}`},
}

// ghRepo is the owner and repo of a GitHub case, with more input.
func ghRepo(more map[string]any) map[string]any {
	in := map[string]any{"owner": "acme", "repo": "web"}
	for k, v := range more {
		in[k] = v
	}
	return in
}

// ghIssue is ghRepo with the issue number.
func ghIssue(more map[string]any) map[string]any {
	in := ghRepo(more)
	in["issue_number"] = 7
	return in
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../openapi/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Every supported operation of three real documents — the Swagger
// Petstore (OpenAPI 3.0, YAML, sent as a string), the Redocly Museum (3.1,
// JSON, sent as an object; then fetched by URL) and GitHub's REST API
// description (3.0, JSON, trimmed to 34 operations) — becomes an action whose
// perform reaches the upstream with the right method, path, query and
// body.
func TestOpenAPIImport_RealDocuments(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, withOpenAPI)
		_, key := e.newApp("acme")
		// Every operation is performed for one user: above the default
		// per-user burst.
		if r := e.do("PATCH", "/v1/app", auth(key), map[string]any{"settings": map[string]any{"perform_burst_per_user": 1000}}); r.Status != 200 {
			t.Fatalf("PATCH /v1/app: %d %s", r.Status, r.Raw)
		}
		k := auth(key)
		up := echoUpstream(t)
		docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(fixture(t, "museum-3.1.json"))
		}))
		t.Cleanup(docs.Close)
		ops := func(cases []importCase) []string {
			var out []string
			for _, c := range cases {
				out = append(out, c.op)
			}
			return out
		}
		for _, d := range []struct {
			slug     string
			document any
			url      string
			cases    []importCase
		}{
			{"petstore", string(fixture(t, "petstore-3.0.yaml")), "", petstoreCases},
			{"museum", json.RawMessage(fixture(t, "museum-3.1.json")), "", museumCases},
			{"museum-by-url", nil, docs.URL + "/openapi.json", museumCases},
			{"github", json.RawMessage(fixture(t, "github-3.0.json")), "", githubCases},
		} {
			imp := map[string]any{"operations": ops(d.cases)}
			if d.url != "" {
				imp["url"] = d.url
			} else {
				imp["document"] = d.document
			}
			r := e.do("PUT", "/v1/integrations/"+d.slug, k, map[string]any{"name": d.slug, "base_url": up.URL + "/api",
				"auth": map[string]any{"type": "none"}, "openapi": imp})
			if r.Status != 201 {
				t.Fatalf("%s: PUT %d %s", d.slug, r.Status, r.Raw)
			}
			if n := len(r.Body["actions"].([]any)); n != len(d.cases) {
				t.Fatalf("%s: %d actions, want %d", d.slug, n, len(d.cases))
			}
			for _, c := range d.cases {
				r := e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": d.slug, "action": c.action, "input": c.input})
				if r.Status != 200 {
					t.Errorf("%s %s: perform %d %s", d.slug, c.action, r.Status, r.Raw)
					continue
				}
				got := echoed(t, r)
				if got["method"] != c.method || got["path"] != c.path || got["query"] != c.query {
					t.Errorf("%s %s: upstream saw %v %v ?%v; want %s %s ?%s", d.slug, c.action, got["method"], got["path"], got["query"], c.method, c.path, c.query)
				}
				if !sameJSONText(got["body"].(string), c.body) {
					t.Errorf("%s %s: upstream got body %s, want %s", d.slug, c.action, got["body"], c.body)
				}
				if c.body != "" && got["content_type"] != "application/json" {
					t.Errorf("%s %s: content type %v", d.slug, c.action, got["content_type"])
				}
			}
		}
		// The stored actions are like hand-written ones: listed as tools,
		// checked against their schemas.
		r := e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "museum", "action": "create_special_event",
			"input": map[string]any{"name": "x", "location": "y", "eventDescription": "z", "dates": []string{"not a date"}, "price": 1}})
		if r.code() != "validation_failed" || r.Body["error"].(map[string]any)["details"].(map[string]any)["field"] != "input.dates[0]" {
			t.Errorf("a bad date: %d %s", r.Status, r.Raw)
		}
		// GitHub's set-labels body is one of two object shapes: a bare
		// array matches neither.
		r = e.do("POST", "/v1/perform", k, map[string]any{"user": u1(), "integration": "github", "action": "issues_set-labels",
			"input": ghIssue(map[string]any{"body": []string{"bug"}})})
		if r.code() != "validation_failed" || r.Body["error"].(map[string]any)["details"].(map[string]any)["field"] != "input.body" {
			t.Errorf("a body outside oneOf: %d %s", r.Status, r.Raw)
		}
	})
}

func sameJSONText(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// Refusals name the operation and the reason; nothing is stored.
func TestOpenAPIImport_Refusals(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng, withOpenAPI)
		_, key := e.newApp("acme")
		k := auth(key)
		pet := string(fixture(t, "petstore-3.0.yaml"))
		for _, c := range []struct {
			name    string
			openapi map[string]any
			actions []any
			field   string
			message string
		}{
			{"non-JSON body", map[string]any{"document": pet, "operations": []string{"getPetById", "uploadFile"}},
				nil, "openapi.operations[1]", `Operation "uploadFile" (POST /pet/{petId}/uploadImage) cannot be an action: its request body is application/octet-stream, not JSON.`},
			{"unknown operation", map[string]any{"document": pet, "operations": []string{"getPet"}},
				nil, "openapi.operations[0]", `The document has no operation "getPet"`},
			{"name taken by a declared action", map[string]any{"document": pet, "operations": []string{"getPetById"}},
				[]any{map[string]any{"name": "get_pet_by_id", "method": "GET", "path": "/x"}}, "openapi.operations[0]", `would be the action "get_pet_by_id", which the integration already has`},
			{"same operation twice", map[string]any{"document": pet, "operations": []string{"getPetById", "GET /pet/{petId}"}},
				nil, "openapi.operations[1]", `would both be the action "get_pet_by_id"`},
			{"not OpenAPI", map[string]any{"document": map[string]any{"swagger": "2.0", "paths": map[string]any{}}, "operations": []string{"x"}},
				nil, "openapi.document", "not an OpenAPI 3.0 or 3.1 document"},
			{"both document and url", map[string]any{"document": pet, "url": "https://example.com/o.json", "operations": []string{"x"}},
				nil, "openapi", "exactly one of document and url"},
			{"no operations", map[string]any{"document": pet, "operations": []string{}},
				nil, "openapi.operations", "at least one operation"},
			{"an action's own check, after the declared actions", map[string]any{"document": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/items/{id}/../admin":{"get":{"operationId":"a","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}}}`, "operations": []string{"a"}},
				[]any{map[string]any{"name": "one", "method": "GET", "path": "/1"}, map[string]any{"name": "two", "method": "GET", "path": "/2"}},
				"openapi.operations[0]", `Operation "a" cannot be an action: `},
			{"document nested too deep", map[string]any{"document": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"components":{"schemas":{"D":` + strings.Repeat(`{"properties":{"x":`, 100) + `{}` + strings.Repeat(`}}`, 100) + `}},"paths":{}}`, "operations": []string{"x"}},
				nil, "openapi.document", "nests deeper than 128 levels"},
			{"remote $ref", map[string]any{"document": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"operationId":"x","parameters":[{"$ref":"https://example.com/p.json"}],"responses":{"200":{"description":"ok"}}}}}}`, "operations": []string{"x"}},
				nil, "openapi.document", "not followed"},
		} {
			def := map[string]any{"name": "Pets", "base_url": "https://petstore.example.com/api/v3", "auth": map[string]any{"type": "none"}, "openapi": c.openapi}
			if c.actions != nil {
				def["actions"] = c.actions
			}
			r := e.do("PUT", "/v1/integrations/pets", k, def)
			errBody, _ := r.Body["error"].(map[string]any)
			details, _ := errBody["details"].(map[string]any)
			msg, _ := errBody["message"].(string)
			if r.Status != 422 || details["field"] != c.field || !strings.Contains(msg, c.message) {
				t.Errorf("%s: %d %s; want 422 on %s saying %q", c.name, r.Status, r.Raw, c.field, c.message)
			}
		}
		if r := e.do("GET", "/v1/integrations/pets", k, nil); r.Status != 404 {
			t.Errorf("a refused PUT stored the integration: %d", r.Status)
		}
	})
}
