package apideck_test

import (
	"context"
	"encoding/json"
	"github.com/porticohq/portico/internal/compat/compattest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// connectionFields are the fields of every Connection object.
var connectionFields = []string{"auth_type", "enabled", "form_fields", "id", "integration_state", "name", "service_id",
	"state", "status", "unified_api"}

// setupIntegrations gives the app integrations of every kind: two CRMs
// (an API key and no auth), a file store, an OAuth2 CRM,
// one without a category and one restricted to an account.
func setupIntegrations(v *vault) {
	v.integration("pipedrive", "crm", "api_key")
	v.integration("hubspot", "crm", "none")
	v.integration("dropbox", "file-storage", "api_key")
	v.integration("salesforce", "crm", "oauth2")
	v.integration("internal", "", "api_key")
	v.native("POST", "/v1/accounts", `{"id":"enterprise","name":"Enterprise"}`)
	v.native("PUT", "/v1/integrations/restricted", `{"name":"Restricted","category":"crm","base_url":"https://api.restricted.example.com",
		"auth":{"type":"none"},"account_ids":["enterprise"]}`)
}

// connections lists the consumer's connections (query may be "") and
// returns them by id, checking each one's fields.
func connections(t *testing.T, v *vault, consumer, query string) ([]string, map[string]map[string]any) {
	t.Helper()
	status, _, res := v.call("GET", "/vault/connections"+query, "", consumer)
	data, _ := wantOK(t, status, res).([]any)
	var ids []string
	by := map[string]map[string]any{}
	for _, d := range data {
		c := d.(map[string]any)
		checkConnection(t, c)
		ids = append(ids, c["id"].(string))
		by[c["id"].(string)] = c
	}
	return ids, by
}

// checkConnection checks the fields of a Connection object: the constant
// ones, and the timestamps that exist once the consumer connected.
func checkConnection(t *testing.T, c map[string]any) {
	t.Helper()
	want := slices.Clone(connectionFields)
	if c["auth_type"] == "oauth2" {
		want = append(want, "oauth_grant_type")
	}
	if _, has := c["created_at"]; has {
		want = append(want, "created_at", "updated_at")
	}
	if _, has := c["health"]; has {
		want = append(want, "health")
	}
	slices.Sort(want)
	if got := compattest.Keys(c); !slices.Equal(got, want) {
		t.Errorf("connection fields %v, want %v", got, want)
	}
	if c["id"] != c["unified_api"].(string)+"+"+c["service_id"].(string) || c["status"] != "live" {
		t.Errorf("id %v unified_api %v service_id %v status %v", c["id"], c["unified_api"], c["service_id"], c["status"])
	}
}

func state(c map[string]any) string {
	h, _ := c["health"].(string)
	return c["state"].(string) + "/" + h
}

func TestConnections_List(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		setupIntegrations(v)
		ids, by := connections(t, v, "c1", "")
		want := []string{"crm+pipedrive", "crm+hubspot", "file-storage+dropbox", "crm+salesforce"}
		if !slices.Equal(ids, want) {
			t.Fatalf("connections %v, want %v", ids, want)
		}
		p := by["crm+pipedrive"]
		if p["name"] != "Pipedrive" || p["auth_type"] != "apiKey" || p["state"] != "available" || p["enabled"] != false ||
			p["integration_state"] != "configured" {
			t.Errorf("pipedrive %v", p)
		}
		wantFields := []any{
			map[string]any{"id": "api_key", "label": "API key", "type": "password", "required": true, "sensitive": true, "disabled": false, "custom_field": false},
			map[string]any{"id": "region", "label": "Region", "type": "text", "required": false, "sensitive": false, "disabled": false, "custom_field": false},
		}
		if !reflect.DeepEqual(p["form_fields"], wantFields) {
			t.Errorf("form_fields %v", p["form_fields"])
		}
		if s := by["crm+salesforce"]; s["auth_type"] != "oauth2" || s["oauth_grant_type"] != "authorization_code" ||
			s["integration_state"] != "configured" {
			t.Errorf("salesforce %v", s)
		}
		if h := by["crm+hubspot"]; h["auth_type"] != "none" || !reflect.DeepEqual(h["form_fields"], []any{}) {
			t.Errorf("hubspot %v", h)
		}

		// ?api= keeps one unified API; without a consumer the same list.
		if ids, _ := connections(t, v, "c1", "?api=crm"); !slices.Equal(ids, []string{"crm+pipedrive", "crm+hubspot", "crm+salesforce"}) {
			t.Errorf("?api=crm: %v", ids)
		}
		if ids, _ := connections(t, v, "", "?api=file-storage"); !slices.Equal(ids, []string{"file-storage+dropbox"}) {
			t.Errorf("?api=file-storage: %v", ids)
		}
		if ids, _ := connections(t, v, "", "?api=accounting"); len(ids) != 0 {
			t.Errorf("?api=accounting: %v", ids)
		}
		// Listing does not create the consumer.
		status, _, res := v.call("GET", "/vault/consumers/c1", "", "")
		wantError(t, status, res, 404, "EntityNotFoundError", "")

		// A member of the account sees the restricted integration.
		v.native("POST", "/v1/users", `{"external_id":"member","account_ids":["enterprise"]}`)
		if ids, _ := connections(t, v, "member", "?api=crm"); !slices.Contains(ids, "crm+restricted") {
			t.Errorf("member sees %v", ids)
		}

		status, _, res = v.call("GET", "/vault/connections?configured=maybe", "", "c1")
		wantError(t, status, res, 400, "RequestValidationError", "configured")
	})
}

func TestConnections_Lifecycle(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		setupIntegrations(v)
		const secret = "sk-live-0123456789"
		ctx := context.Background()
		creds := func() portico.Credentials {
			t.Helper()
			u, err := v.Service.FindUserByKey(ctx, v.appID, "c1")
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Store.FindConnection(ctx, v.appID, u.ID, "pipedrive")
			if err != nil {
				t.Fatal(err)
			}
			cr, err := v.Service.OpenCredentials(c)
			if err != nil {
				t.Fatal(err)
			}
			return cr
		}
		patch := func(path, body string) map[string]any {
			t.Helper()
			status, _, raw := v.Do("PATCH", "/vault/connections/"+path, body, append(v.headers("c1"), "Content-Type", "application/json")...)
			if strings.Contains(string(raw), secret) {
				t.Errorf("the answer shows the secret")
			}
			var res map[string]any
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatal(err)
			}
			c, _ := wantOK(t, status, res).(map[string]any)
			checkConnection(t, c)
			return c
		}

		// The documented settings shape: the API key becomes the credential.
		c := patch("crm/pipedrive", `{"settings":{"api_key":"`+secret+`"}}`)
		if state(c) != "callable/ok" || c["enabled"] != true || c["created_at"] == nil {
			t.Errorf("after PATCH: %v", c)
		}
		if got := creds(); !reflect.DeepEqual(got, portico.Credentials{"api_key": secret}) {
			t.Errorf("stored %d values", len(got))
		}
		// Settings merge with the stored ones; null removes one.
		patch("crm/pipedrive", `{"settings":{"region":"eu"}}`)
		if got := creds(); !reflect.DeepEqual(got, portico.Credentials{"api_key": secret, "region": "eu"}) {
			t.Errorf("after merging region: %d values", len(got))
		}
		patch("crm/pipedrive", `{"settings":{"region":null},"metadata":null,"configuration":[],"custom_mappings":[]}`)
		if got := creds(); !reflect.DeepEqual(got, portico.Credentials{"api_key": secret}) {
			t.Errorf("after removing region: %d values", len(got))
		}
		// enabled alone connects what needs no credentials.
		if c := patch("crm/hubspot", `{"enabled":true}`); state(c) != "callable/ok" {
			t.Errorf("hubspot after enabled: %v", c)
		}
		status, _, res := v.call("PATCH", "/vault/connections/file-storage/dropbox", `{"enabled":true}`, "c1")
		wantError(t, status, res, 422, "InvalidStateError", "settings.api_key")

		status, _, res = v.call("GET", "/vault/connections/crm/pipedrive", "", "c1")
		c, _ = wantOK(t, status, res).(map[string]any)
		checkConnection(t, c)
		if state(c) != "callable/ok" {
			t.Errorf("GET: %v", c)
		}
		if ids, _ := connections(t, v, "c1", "?configured=true"); !slices.Equal(ids, []string{"crm+pipedrive", "crm+hubspot"}) {
			t.Errorf("configured=true: %v", ids)
		}
		if ids, _ := connections(t, v, "c1", "?configured=false"); !slices.Equal(ids, []string{"file-storage+dropbox", "crm+salesforce"}) {
			t.Errorf("configured=false: %v", ids)
		}

		// The consumer now exists, with its connections.
		status, _, res = v.call("GET", "/vault/consumers/c1", "", "")
		consumer := wantConsumer(t, v, wantOK(t, status, res), "c1")
		if !reflect.DeepEqual(consumer["services"], []any{"pipedrive", "hubspot"}) {
			t.Errorf("services %v", consumer["services"])
		}
		conns, _ := consumer["connections"].([]any)
		if len(conns) != 2 {
			t.Fatalf("consumer connections %v", conns)
		}
		cc := conns[0].(map[string]any)
		wantCC := []string{"auth_type", "consumer_id", "created_at", "enabled", "health", "id", "name", "service_id", "state", "unified_api", "updated_at"}
		if !slices.Equal(compattest.Keys(cc), wantCC) || cc["id"] != "crm+pipedrive" || cc["consumer_id"] != "c1" || cc["state"] != "callable" ||
			!vaultTime.MatchString(cc["created_at"].(string)) {
			t.Errorf("consumer connection %v", cc)
		}

		// DELETE revokes: credentials erased, the connection available again.
		status, _, b := v.Do("DELETE", "/vault/connections/crm/pipedrive", "", v.headers("c1")...)
		if status != 204 || len(b) != 0 {
			t.Errorf("DELETE: %d %s", status, b)
		}
		if got := creds(); len(got) != 0 {
			t.Errorf("credentials left after DELETE: %d", len(got))
		}
		status, _, res = v.call("GET", "/vault/connections/crm/pipedrive", "", "c1")
		if c, _ := wantOK(t, status, res).(map[string]any); state(c) != "available/revoked" || c["enabled"] != false {
			t.Errorf("after DELETE: %v", c)
		}
		for _, tc := range []struct{ path, consumer string }{
			{"crm/pipedrive", "c1"}, {"file-storage/dropbox", "c1"}, {"crm/pipedrive", "nobody"},
		} {
			status, _, res := v.call("DELETE", "/vault/connections/"+tc.path, "", tc.consumer)
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
		// Connecting again after a revocation starts from nothing.
		status, _, res = v.call("PATCH", "/vault/connections/crm/pipedrive", `{"settings":{"region":"us"}}`, "c1")
		wantError(t, status, res, 422, "InvalidStateError", "settings.api_key")
		if c := patch("crm/pipedrive", `{"settings":{"api_key":"`+secret+`"}}`); state(c) != "callable/ok" {
			t.Errorf("reconnected: %v", c)
		}

		if strings.Contains(v.Logs(), secret) {
			t.Errorf("the secret reached the logs")
		}
	})
}

func TestConnections_Errors(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		setupIntegrations(v)
		for _, tc := range []struct {
			name, method, path, body, consumer string
			status                             int
			typ, field                         string
		}{
			{"get without consumer", "GET", "crm/pipedrive", "", "", 400, "RequestHeadersValidationError", ""},
			{"patch without consumer", "PATCH", "crm/pipedrive", `{}`, "", 400, "RequestHeadersValidationError", ""},
			{"delete without consumer", "DELETE", "crm/pipedrive", "", "", 400, "RequestHeadersValidationError", ""},
			{"list with a bad consumer", "GET", "", "", "\u0085bad", 400, "RequestHeadersValidationError", ""},
			{"wrong unified api", "GET", "file-storage/pipedrive", "", "c1", 404, "EntityNotFoundError", ""},
			{"unknown service", "GET", "crm/nope", "", "c1", 404, "EntityNotFoundError", ""},
			{"malformed service", "GET", "crm/NOPE!", "", "c1", 404, "EntityNotFoundError", ""},
			{"no category", "GET", "crm/internal", "", "c1", 404, "EntityNotFoundError", ""},
			{"restricted", "GET", "crm/restricted", "", "c1", 404, "EntityNotFoundError", ""},
			{"patch restricted", "PATCH", "crm/restricted", `{"enabled":true}`, "c1", 404, "EntityNotFoundError", ""},
			{"patch wrong unified api", "PATCH", "file-storage/pipedrive", `{"settings":{"api_key":"k"}}`, "ghost", 404, "EntityNotFoundError", ""},
			{"patch unknown field", "PATCH", "crm/pipedrive", `{"api_key":"k"}`, "c1", 400, "RequestValidationError", "api_key"},
			{"patch read-only field", "PATCH", "crm/pipedrive", `{"id":"crm+x"}`, "c1", 400, "RequestValidationError", "id"},
			{"patch setting as number", "PATCH", "crm/pipedrive", `{"settings":{"api_key":5}}`, "c1", 400, "RequestValidationError", "settings.api_key"},
			{"patch settings as list", "PATCH", "crm/pipedrive", `{"settings":["k"]}`, "c1", 400, "RequestValidationError", "settings"},
			{"patch enabled as string", "PATCH", "crm/pipedrive", `{"enabled":"true"}`, "c1", 400, "RequestValidationError", "enabled"},
			{"patch unknown setting", "PATCH", "crm/pipedrive", `{"settings":{"api_key":"k","instance_url":"https://x"}}`, "c1", 422, "InvalidStateError", "settings.instance_url"},
			{"patch setting with control character", "PATCH", "crm/pipedrive", `{"settings":{"api_key":"k\u0000"}}`, "c1", 422, "InvalidStateError", "settings.api_key"},
			{"patch disable", "PATCH", "crm/pipedrive", `{"enabled":false}`, "c1", 422, "InvalidStateError", "enabled"},
			{"patch metadata", "PATCH", "crm/pipedrive", `{"metadata":{"plan":"enterprise"}}`, "c1", 422, "InvalidStateError", "metadata"},
			{"patch configuration", "PATCH", "crm/pipedrive", `{"configuration":[{"resource":"leads"}]}`, "c1", 422, "InvalidStateError", "configuration"},
			{"patch consent", "PATCH", "crm/pipedrive", `{"consent_state":"granted"}`, "c1", 422, "InvalidStateError", "consent_state"},
			{"patch not JSON", "PATCH", "crm/pipedrive", "", "c1", 415, "RequestValidationError", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := "/vault/connections"
				if tc.path != "" {
					path += "/" + tc.path
				}
				status, _, res := v.call(tc.method, path, tc.body, tc.consumer)
				wantError(t, status, res, tc.status, tc.typ, tc.field)
			})
		}
		// No failed request created a consumer or a connection.
		for _, id := range []string{"c1", "ghost"} {
			status, _, res := v.call("GET", "/vault/consumers/"+id, "", "")
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
	})
}

// TestConnections_OtherApp checks that connections stay inside their app:
// another app with the same consumer id and service ids sees none of them.
func TestConnections_OtherApp(t *testing.T) {
	engines(t, func(t *testing.T, a *vault) {
		setupIntegrations(a)
		status, _, res := a.call("PATCH", "/vault/connections/crm/pipedrive", `{"settings":{"api_key":"k-a"}}`, "c1")
		wantOK(t, status, res)

		b := &vault{Server: a.Server, t: t}
		b.appID, b.key = a.NewApp("Other app")
		if ids, _ := connections(t, b, "c1", ""); len(ids) != 0 {
			t.Errorf("app B lists %v", ids)
		}
		for _, m := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"settings":{"api_key":"k-b"}}`}, {"DELETE", ""}} {
			status, _, res := b.call(m.method, "/vault/connections/crm/pipedrive", m.body, "c1")
			wantError(t, status, res, 404, "EntityNotFoundError", "")
		}
		b.integration("pipedrive", "crm", "api_key")
		status, _, res = b.call("GET", "/vault/connections/crm/pipedrive", "", "c1")
		if c, _ := wantOK(t, status, res).(map[string]any); c["state"] != "available" {
			t.Errorf("app B sees app A's connection: %v", c)
		}
		status, _, res = a.call("GET", "/vault/connections/crm/pipedrive", "", "c1")
		if c, _ := wantOK(t, status, res).(map[string]any); c["state"] != "callable" {
			t.Errorf("app A's connection: %v", c)
		}
	})
}

// A log filter whose end comes before its start is refused in the Vault's
// words.
func TestLogs_EndBeforeStart(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		status, _, res := v.call("GET", "/vault/logs?filter[start_date]=2026-02-01T00:00:00Z&filter[end_date]=2026-01-01T00:00:00Z", "", "c1")
		wantError(t, status, res, 400, "RequestValidationError", "")
		if msg := res["message"]; msg != "filter[end_date] must not be before filter[start_date]." {
			t.Errorf("message %v", msg)
		}
		status, _, res = v.call("GET", "/vault/logs?filter[start_date]=2026-01-01T00:00:00Z&filter[end_date]=2026-01-01T00:00:00Z", "", "c1")
		if status != 200 {
			t.Errorf("one instant, both ends inclusive: %d %v", status, res)
		}
	})
}

// TestRouting checks that unknown paths and wrong methods under /vault/
// answer in the Vault's error envelope.
func TestRouting(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		for _, tc := range []struct {
			method, path string
			status       int
			typ, allow   string
		}{
			{"GET", "/vault/sessions", 405, "MethodNotAllowedError", "POST"},
			{"DELETE", "/vault/consumers", 405, "MethodNotAllowedError", "GET, POST, HEAD"},
			{"PUT", "/vault/consumers/c1", 405, "MethodNotAllowedError", "GET, PATCH, DELETE, HEAD"},
			{"POST", "/vault/connections/crm/pipedrive", 405, "MethodNotAllowedError", "GET, PATCH, DELETE, HEAD"},
			{"POST", "/vault/logs", 405, "MethodNotAllowedError", "GET, HEAD"},
			{"GET", "/vault/connections/crm", 404, "EntityNotFoundError", ""},
			{"POST", "/vault/connections/crm/pipedrive/import", 404, "EntityNotFoundError", ""},
			{"GET", "/vault/consumers/", 404, "EntityNotFoundError", ""},
			{"GET", "/vault", 404, "EntityNotFoundError", ""},
		} {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				status, h, res := v.call(tc.method, tc.path, "", "c1")
				wantError(t, status, res, tc.status, tc.typ, "")
				if h.Get("Allow") != tc.allow {
					t.Errorf("Allow %q, want %q", h.Get("Allow"), tc.allow)
				}
			})
		}
	})
}

// TestConnections_Concurrent sends the first PATCH of a new consumer many
// times at once: every one succeeds, and one consumer with one connection
// results.
func TestConnections_Concurrent(t *testing.T) {
	engines(t, func(t *testing.T, v *vault) {
		setupIntegrations(v)
		const n = 8
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _, _ = v.Do("PATCH", "/vault/connections/crm/pipedrive", `{"settings":{"api_key":"k-`+strconv.Itoa(i)+`"}}`,
					append(v.headers("racer"), "Content-Type", "application/json")...)
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 200 {
				t.Errorf("request %d: %d", i, s)
			}
		}
		status, _, res := v.call("GET", "/vault/consumers", "", "")
		if data, _ := wantOK(t, status, res, "links", "meta").([]any); len(data) != 1 {
			t.Errorf("%d consumers, want 1", len(data))
		}
		status, _, res = v.call("GET", "/vault/consumers/racer", "", "")
		c := wantConsumer(t, v, wantOK(t, status, res), "racer")
		if conns, _ := c["connections"].([]any); len(conns) != 1 {
			t.Errorf("connections %v", c["connections"])
		}
	})
}
