package apideck_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/compat/compattest"
	"github.com/porticohq/portico/internal/store/storetest"
)

// vault is a running server with one app, spoken to as an Apideck client
// would.
type vault struct {
	*compattest.Server
	t          *testing.T
	appID, key string
}

// start boots a whole server on engine e with a fresh app.
func start(t *testing.T, e storetest.Engine, edit func(*cli.Config)) *vault {
	t.Helper()
	s := compattest.Start(t, e, edit)
	v := &vault{Server: s, t: t}
	v.appID, v.key = s.NewApp("Vault tests")
	return v
}

// engines runs f on a fresh server per engine.
func engines(t *testing.T, f func(t *testing.T, v *vault)) {
	for _, e := range compattest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { f(t, start(t, e, nil)) })
	}
}

// headers are the Vault headers of the app, for consumer ("" for none).
func (v *vault) headers(consumer string) []string {
	h := []string{"Authorization", "Bearer " + v.key, "x-apideck-app-id", v.appID}
	if consumer != "" {
		h = append(h, "x-apideck-consumer-id", consumer)
	}
	return h
}

// call sends a Vault request for consumer with a JSON body ("" for none)
// and returns the status, headers and decoded body (nil when empty).
func (v *vault) call(method, path, body, consumer string) (int, http.Header, map[string]any) {
	v.t.Helper()
	h := v.headers(consumer)
	if body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	return v.raw(method, path, body, h...)
}

// raw sends a request with exactly the given headers.
func (v *vault) raw(method, path, body string, headers ...string) (int, http.Header, map[string]any) {
	v.t.Helper()
	status, h, b := v.Do(method, path, body, headers...)
	if len(b) == 0 {
		return status, h, nil
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		v.t.Fatalf("%s %s: %d, body is not a JSON object: %v\n%s", method, path, status, err, b)
	}
	return status, h, out
}

// native calls the native API with the app's key.
func (v *vault) native(method, path, body string) map[string]any {
	v.t.Helper()
	status, _, b := v.Do(method, path, body, "Authorization", "Bearer "+v.key, "Content-Type", "application/json")
	if status >= 300 {
		v.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			v.t.Fatal(err)
		}
	}
	return out
}

// integration creates an integration through the native API.
func (v *vault) integration(slug, category, auth string) {
	v.t.Helper()
	body := map[string]any{"name": strings.ToUpper(slug[:1]) + slug[1:], "base_url": "https://api." + slug + ".example.com"}
	if category != "" {
		body["category"] = category
	}
	switch auth {
	case "api_key":
		body["auth"] = map[string]any{"type": "api_key",
			"fields": []map[string]any{{"name": "api_key", "label": "API key", "secret": true},
				{"name": "region", "label": "Region", "optional": true}},
			"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}}
	case "oauth2":
		body["auth"] = map[string]any{"type": "oauth2", "oauth2": map[string]any{
			"authorize_url": "https://" + slug + ".example.com/authorize", "token_url": "https://" + slug + ".example.com/token",
			"client_id": "client-" + slug, "scopes": []string{}}}
	default:
		body["auth"] = map[string]any{"type": auth}
	}
	b, _ := json.Marshal(body)
	v.native("PUT", "/v1/integrations/"+slug, string(b))
}

// errorKeys are the fields of the Vault's error envelope.
var errorKeys = []string{"detail", "error", "message", "ref", "status_code", "type_name"}

// wantError checks an error answer: the status, the envelope's exact
// fields, its type and, when field is not "", the field it names.
func wantError(t *testing.T, status int, body map[string]any, wantStatus int, typeName, field string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %v", status, wantStatus, body)
	}
	if got := compattest.Keys(body); !slices.Equal(got, errorKeys) {
		t.Errorf("error fields %v, want %v", got, errorKeys)
	}
	if body["status_code"] != float64(wantStatus) || body["error"] != http.StatusText(wantStatus) {
		t.Errorf("status_code %v error %v, want %d %q", body["status_code"], body["error"], wantStatus, http.StatusText(wantStatus))
	}
	if body["type_name"] != typeName {
		t.Errorf("type_name %v, want %s (%v)", body["type_name"], typeName, body["message"])
	}
	if body["ref"] != "https://developers.apideck.com/errors#"+strings.ToLower(typeName) {
		t.Errorf("ref %v", body["ref"])
	}
	if msg, _ := body["message"].(string); msg == "" {
		t.Errorf("empty message")
	}
	if field != "" {
		d, _ := body["detail"].(map[string]any)
		if d["field"] != field {
			t.Errorf("detail %v, want field %q (%v)", body["detail"], field, body["message"])
		}
	}
}

// wantOK checks a success envelope and returns its data.
func wantOK(t *testing.T, status int, body map[string]any, extra ...string) any {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, body)
	}
	want := append([]string{"data", "status", "status_code"}, extra...)
	slices.Sort(want)
	if got := compattest.Keys(body); !slices.Equal(got, want) {
		t.Errorf("envelope fields %v, want %v", got, want)
	}
	if body["status_code"] != float64(200) || body["status"] != "OK" {
		t.Errorf("status_code %v status %v", body["status_code"], body["status"])
	}
	return body["data"]
}
