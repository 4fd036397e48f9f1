package apideck_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/compat/compattest"
)

// The bodies of the x-codeSamples of POST and PATCH /vault/consumers… in
// the Vault's OpenAPI document.
const (
	documentedConsumerCreate = `{"consumer_id":"test_consumer_id","metadata":{"account_name":"SpaceX","user_name":"Elon Musk","email":"elon@musk.com","image":"https://www.spacex.com/static/images/share.jpg"}}`
	documentedConsumerUpdate = `{"metadata":{"account_name":"SpaceX","user_name":"Elon Musk","email":"elon@musk.com","image":"https://www.spacex.com/static/images/share.jpg"}}`
)

var vaultTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// wantConsumer checks a Consumer object of GET/POST/PATCH: its exact
// fields, its ids and timestamps, and returns it.
func wantConsumer(t *testing.T, v *vault, data any, id string) map[string]any {
	t.Helper()
	c, _ := data.(map[string]any)
	want := []string{"application_id", "connections", "consumer_id", "created", "metadata", "modified", "services"}
	if got := compattest.Keys(c); !slices.Equal(got, want) {
		t.Fatalf("consumer fields %v, want %v", got, want)
	}
	if c["consumer_id"] != id || c["application_id"] != v.appID {
		t.Errorf("consumer_id %v application_id %v", c["consumer_id"], c["application_id"])
	}
	for _, f := range []string{"created", "modified"} {
		if s, _ := c[f].(string); !vaultTime.MatchString(s) {
			t.Errorf("%s %q is not a Vault timestamp", f, s)
		}
	}
	return c
}

func TestConsumers_DocumentedExamples(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		metadata := map[string]any{"account_name": "SpaceX", "user_name": "Elon Musk", "email": "elon@musk.com",
			"image": "https://www.spacex.com/static/images/share.jpg"}

		status, _, res := v.call("POST", "/vault/consumers", documentedConsumerCreate, "")
		c := wantConsumer(t, v, wantOK(t, status, res), "test_consumer_id")
		if !reflect.DeepEqual(c["metadata"], metadata) {
			t.Errorf("metadata %v, want %v", c["metadata"], metadata)
		}
		if !reflect.DeepEqual(c["connections"], []any{}) || !reflect.DeepEqual(c["services"], []any{}) {
			t.Errorf("connections %v services %v", c["connections"], c["services"])
		}

		status, _, res = v.call("GET", "/vault/consumers/test_consumer_id", "", "")
		got := wantConsumer(t, v, wantOK(t, status, res), "test_consumer_id")
		if !reflect.DeepEqual(got, c) {
			t.Errorf("GET %v\nPOST %v", got, c)
		}

		// Creating it again finds it and keeps its metadata.
		status, _, res = v.call("POST", "/vault/consumers", `{"consumer_id":"test_consumer_id","metadata":{"user_name":"Someone Else"}}`, "")
		again := wantConsumer(t, v, wantOK(t, status, res), "test_consumer_id")
		if !reflect.DeepEqual(again["metadata"], metadata) {
			t.Errorf("metadata after a second create %v", again["metadata"])
		}

		// The documented update, on the documented consumer id.
		status, _, res = v.call("POST", "/vault/consumers", `{"consumer_id":"test_user_id"}`, "")
		c = wantConsumer(t, v, wantOK(t, status, res), "test_user_id")
		if !reflect.DeepEqual(c["metadata"], map[string]any{}) {
			t.Errorf("metadata of a consumer created without %v", c["metadata"])
		}
		status, _, res = v.call("PATCH", "/vault/consumers/test_user_id", documentedConsumerUpdate, "")
		c = wantConsumer(t, v, wantOK(t, status, res), "test_user_id")
		if !reflect.DeepEqual(c["metadata"], metadata) {
			t.Errorf("metadata after PATCH %v", c["metadata"])
		}
		// A partial update changes what it names only.
		status, _, res = v.call("PATCH", "/vault/consumers/test_user_id", `{"metadata":{"account_name":"Tesla"}}`, "")
		c = wantConsumer(t, v, wantOK(t, status, res), "test_user_id")
		want := map[string]any{"account_name": "Tesla", "user_name": "Elon Musk", "email": "elon@musk.com",
			"image": "https://www.spacex.com/static/images/share.jpg"}
		if !reflect.DeepEqual(c["metadata"], want) {
			t.Errorf("metadata after a partial PATCH %v, want %v", c["metadata"], want)
		}
		if c["modified"].(string) < c["created"].(string) {
			t.Errorf("modified %v before created %v", c["modified"], c["created"])
		}

		status, _, res = v.call("DELETE", "/vault/consumers/test_user_id", "", "")
		data, _ := wantOK(t, status, res).(map[string]any)
		if !reflect.DeepEqual(data, map[string]any{"consumer_id": "test_user_id"}) {
			t.Errorf("DELETE data %v", data)
		}
		for _, m := range []string{"GET", "DELETE"} {
			status, _, res = v.call(m, "/vault/consumers/test_user_id", "", "")
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
	})
}

func TestConsumers_List(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		var want []string
		for _, id := range []string{"c-1", "c-2", "account:12345", "c 4", "c/5"} {
			status, _, res := v.call("POST", "/vault/consumers", `{"consumer_id":"`+id+`"}`, "")
			wantOK(t, status, res)
			want = append(want, id)
		}
		// A user the native API keyed by email is the consumer of that email.
		v.native("POST", "/v1/users", `{"email":"Ann@Example.com","name":"Ann"}`)
		want = append(want, "ann@example.com")

		var got []string
		path := "/vault/consumers?limit=2"
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("the pages do not end")
			}
			status, _, res := v.call("GET", path, "", "")
			data, _ := wantOK(t, status, res, "links", "meta").([]any)
			meta, _ := res["meta"].(map[string]any)
			links, _ := res["links"].(map[string]any)
			cur, _ := meta["cursors"].(map[string]any)
			if meta["items_on_page"] != float64(len(data)) || cur["previous"] != nil || links["previous"] != nil {
				t.Errorf("meta %v links %v", meta, links)
			}
			if links["current"] != v.URL+path {
				t.Errorf("links.current %v, want %v", links["current"], v.URL+path)
			}
			for _, d := range data {
				c := d.(map[string]any)
				wantFields := []string{"application_id", "consumer_id", "created", "metadata", "modified"}
				if !slices.Equal(compattest.Keys(c), wantFields) {
					t.Errorf("list item fields %v, want %v", compattest.Keys(c), wantFields)
				}
				got = append(got, c["consumer_id"].(string))
			}
			path = ""
			if next, _ := cur["next"].(string); next != "" {
				path = "/vault/consumers?" + url.Values{"cursor": {next}, "limit": {"2"}}.Encode()
				if links["next"] != v.URL+path {
					t.Errorf("links.next %v, want %v", links["next"], v.URL+path)
				}
			} else if links["next"] != nil {
				t.Errorf("links.next %v on the last page", links["next"])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("consumers %v, want %v", got, want)
		}

		status, _, res := v.call("GET", "/vault/consumers/ann@example.com", "", "")
		c := wantConsumer(t, v, wantOK(t, status, res), "ann@example.com")
		if md := c["metadata"].(map[string]any); md["user_name"] != "Ann" || md["email"] != "ann@example.com" {
			t.Errorf("metadata %v", md)
		}
		status, _, res = v.call("GET", "/vault/consumers/"+url.PathEscape("c/5"), "", "")
		wantConsumer(t, v, wantOK(t, status, res), "c/5")

		// The default page holds all six; limits above Portico's page size
		// are served in pages of that size.
		status, _, res = v.call("GET", "/vault/consumers", "", "")
		if data, _ := wantOK(t, status, res, "links", "meta").([]any); len(data) != 6 {
			t.Errorf("default page: %d consumers", len(data))
		}
		status, _, res = v.call("GET", "/vault/consumers?limit=200", "", "")
		wantOK(t, status, res, "links", "meta")

		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=201", "limit"}, {"limit=ten", "limit"}, {"limit=-1", "limit"},
			{"cursor=bm9wZQ", "cursor"}, {"filter[consumer_id]=c-", "filter"}, {"filter[search]=john", "filter"},
		} {
			status, _, res := v.call("GET", "/vault/consumers?"+tc.query, "", "")
			wantError(t, status, res, 400, "RequestValidationError", tc.field)
		}
	})
}

func TestConsumers_Errors(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		status, _, res := v.call("POST", "/vault/consumers", `{"consumer_id":"known"}`, "")
		wantOK(t, status, res)
		for _, tc := range []struct {
			name, method, path, body string
			status                   int
			typ, field               string
		}{
			{"create without id", "POST", "/vault/consumers", `{"metadata":{}}`, 400, "RequestValidationError", "consumer_id"},
			{"create without body", "POST", "/vault/consumers", "", 415, "RequestValidationError", ""},
			{"create with unknown field", "POST", "/vault/consumers", `{"consumer_id":"x","name":"X"}`, 400, "RequestValidationError", "name"},
			{"create with id as number", "POST", "/vault/consumers", `{"consumer_id":42}`, 400, "RequestValidationError", "consumer_id"},
			{"create with empty id", "POST", "/vault/consumers", `{"consumer_id":""}`, 422, "InvalidStateError", "consumer_id"},
			{"create with long id", "POST", "/vault/consumers", `{"consumer_id":"` + strings.Repeat("x", 256) + `"}`, 422, "InvalidStateError", "consumer_id"},
			{"create with control character", "POST", "/vault/consumers", `{"consumer_id":"a\u0000b"}`, 422, "InvalidStateError", "consumer_id"},
			{"create with bad email", "POST", "/vault/consumers", `{"consumer_id":"x","metadata":{"email":"x"}}`, 422, "InvalidStateError", "metadata.email"},
			{"create with bad image", "POST", "/vault/consumers", `{"consumer_id":"x","metadata":{"image":"/me.png"}}`, 422, "InvalidStateError", "metadata.image"},
			{"create with long name", "POST", "/vault/consumers", `{"consumer_id":"x","metadata":{"user_name":"` + strings.Repeat("n", 256) + `"}}`, 422, "InvalidStateError", "metadata.user_name"},
			{"update unknown field", "PATCH", "/vault/consumers/known", `{"consumer_id":"other"}`, 400, "RequestValidationError", "consumer_id"},
			{"update metadata as string", "PATCH", "/vault/consumers/known", `{"metadata":"x"}`, 400, "RequestValidationError", "metadata"},
			{"update bad email", "PATCH", "/vault/consumers/known", `{"metadata":{"email":"@"}}`, 422, "InvalidStateError", "metadata.email"},
			{"update bad account name", "PATCH", "/vault/consumers/known", `{"metadata":{"account_name":"a\u0007"}}`, 422, "InvalidStateError", "metadata.account_name"},
			{"update unknown consumer", "PATCH", "/vault/consumers/nobody", `{"metadata":{}}`, 404, "EntityNotFoundError", ""},
			{"get unknown consumer", "GET", "/vault/consumers/nobody", "", 404, "EntityNotFoundError", ""},
			{"delete unknown consumer", "DELETE", "/vault/consumers/nobody", "", 404, "EntityNotFoundError", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, _, res := v.call(tc.method, tc.path, tc.body, "")
				wantError(t, status, res, tc.status, tc.typ, tc.field)
			})
		}
		// Messages speak of the Vault's fields only.
		for _, c := range []struct{ method, path, body, want, not string }{
			{"PATCH", "/vault/consumers/known", `{"metadata":{"image":"/me.png"}}`, "metadata.image", "consumer_metadata"},
			{"GET", "/vault/consumers?cursor=zzz", "", "meta.cursors.next", "next_cursor"},
		} {
			_, _, res := v.call(c.method, c.path, c.body, "")
			if msg, _ := res["message"].(string); !strings.Contains(msg, c.want) || strings.Contains(msg, c.not) {
				t.Errorf("%s %s: message %q", c.method, c.path, msg)
			}
		}
		// A cursor is refused alike for a consumer Portico knows and one it
		// does not.
		for _, consumer := range []string{"known", "nobody"} {
			status, _, res := v.call("GET", "/vault/logs?cursor=abc", "", consumer)
			wantError(t, status, res, 400, "RequestValidationError", "cursor")
		}
		// No failed create left a consumer behind.
		status, _, res = v.call("GET", "/vault/consumers", "", "")
		data, _ := wantOK(t, status, res, "links", "meta").([]any)
		if len(data) != 1 {
			t.Errorf("%d consumers, want only the known one: %v", len(data), data)
		}
	})
}

// TestConsumers_OtherApp checks that an app never sees, changes or deletes
// another app's consumers, even under the same consumer id.
func TestConsumers_OtherApp(t *testing.T) {
	engines(t, func(t *testing.T, a *vault) {
		b := &vault{Server: a.Server, t: t}
		b.appID, b.key = a.NewApp("Other app")
		for _, id := range []string{"b-only", "shared"} {
			status, _, res := b.call("POST", "/vault/consumers", `{"consumer_id":"`+id+`","metadata":{"user_name":"B"}}`, "")
			wantOK(t, status, res)
		}
		for _, m := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"metadata":{"user_name":"A"}}`}, {"DELETE", ""}} {
			status, _, res := a.call(m.method, "/vault/consumers/b-only", m.body, "")
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
		status, _, res := a.call("GET", "/vault/consumers", "", "")
		if data, _ := wantOK(t, status, res, "links", "meta").([]any); len(data) != 0 {
			t.Errorf("app A lists %v", data)
		}
		// A's own "shared" is another user: changing it leaves B's alone.
		status, _, res = a.call("POST", "/vault/consumers", `{"consumer_id":"shared","metadata":{"user_name":"A"}}`, "")
		wantOK(t, status, res)
		status, _, res = a.call("DELETE", "/vault/consumers/shared", "", "")
		wantOK(t, status, res)
		status, _, res = b.call("GET", "/vault/consumers/shared", "", "")
		c := wantConsumer(t, b, wantOK(t, status, res), "shared")
		if c["metadata"].(map[string]any)["user_name"] != "B" {
			t.Errorf("B's consumer changed: %v", c)
		}
		// A cursor of one app's list is refused by another's.
		status, _, res = b.call("GET", "/vault/consumers?limit=1", "", "")
		wantOK(t, status, res, "links", "meta")
		next := res["meta"].(map[string]any)["cursors"].(map[string]any)["next"].(string)
		status, _, res = a.call("GET", "/vault/consumers?cursor="+url.QueryEscape(next), "", "")
		wantError(t, status, res, 400, "RequestValidationError", "cursor")
	})
}

// A consumer id that names a user keyed by that email (one made by
// Mindset's userEmail, or POST /v1/users with an email only) means that
// user on every endpoint: a session, a consumer creation and a
// credential all land on it, and no second consumer appears.
func TestConsumers_AnEmailKeyMeansOneUserEverywhere(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		v.integration("crm", "crm", "api_key")
		user := v.native("POST", "/v1/users", `{"email":"split@example.com"}`)
		id := user["id"].(string)
		_, token := createSession(t, v, "split@example.com", "")
		status, _, me := v.Do("GET", "/v1/me", "", "Authorization", "Bearer "+token)
		if status != 200 || !strings.Contains(string(me), `"id":"`+id+`"`) {
			t.Fatalf("the session's user: %d %s, want %s", status, me, id)
		}
		status, _, res := v.call("POST", "/vault/consumers", `{"consumer_id":"split@example.com"}`, "")
		wantOK(t, status, res)
		status, _, res = v.call("PATCH", "/vault/connections/crm/crm", `{"settings":{"api_key":"k-1"}}`, "split@example.com")
		wantOK(t, status, res)
		conns := v.native("GET", "/v1/connections?user_id="+id, "")["data"].([]any)
		if len(conns) != 1 {
			t.Fatalf("the email user's connections: %v", conns)
		}
		status, _, res = v.call("GET", "/vault/consumers", "", "")
		if list := wantOK(t, status, res, "links", "meta").([]any); len(list) != 1 {
			t.Fatalf("consumers: %v", list)
		}
	})
}

// A credential the provider refuses creates no consumer.
func TestConsumers_ARefusedCredentialCreatesNoConsumer(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	t.Cleanup(upstream.Close)
	for _, e := range compattest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			v := start(t, e, func(cfg *cli.Config) { cfg.AllowPrivateUpstreams = true })
			v.native("PUT", "/v1/integrations/vcrm", `{"name":"Verified CRM","category":"crm","base_url":"`+upstream.URL+`",
				"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
				"verify":{"method":"GET","path":"/me","expected_status":200}}`)
			status, _, res := v.call("PATCH", "/vault/connections/crm/vcrm", `{"settings":{"api_key":"wrong"}}`, "vv2")
			if status != 422 {
				t.Fatalf("a refused credential: %d %v", status, res)
			}
			status, _, res = v.call("GET", "/vault/consumers/vv2", "", "")
			if status != 404 {
				t.Fatalf("the consumer after a refused credential: %d %v", status, res)
			}
		})
	}
}
