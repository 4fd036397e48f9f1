package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

func TestUsers_CreateFindsThenGets(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		r := e.do("POST", "/v1/users", auth(key), map[string]any{"external_id": "u-1"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		id := r.Body["id"].(string)
		if r := e.do("POST", "/v1/users", auth(key), map[string]any{"external_id": "u-1"}); r.Status != http.StatusOK || r.Body["id"] != id {
			t.Fatalf("find: %d %s", r.Status, r.Raw)
		}
		if r := e.do("GET", "/v1/users/"+id, auth(key), nil); r.Status != http.StatusOK {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}
	})
}
