package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/store/storetest"
)

// Every native route has its operation's parameters, so that none is left
// unchecked for want of a document entry.
func TestQuery_EveryNativeRouteIsDeclared(t *testing.T) {
	e := newEnv(t, storetest.Engines(t)[0])
	for _, p := range e.API.Patterns() {
		if !strings.Contains(p, " /v1/") {
			continue
		}
		if _, ok := httpapi.QueryParamsOf(p); !ok {
			t.Errorf("%s has no operation in openapi.json", p)
		}
	}
	if names, _ := httpapi.QueryParamsOf("GET /v1/activity"); !slices.Equal(names, []string{"user_id", "integration", "outcome", "since", "until", "page_size", "page_token"}) {
		t.Errorf("GET /v1/activity takes %v", names)
	}
}

// A query parameter that the operation does not declare (docs/openapi.json)
// is refused, not dropped: a misspelt filter would otherwise answer the
// whole list. So is a declared one sent twice. Credentials put in the query
// string are left to authentication, which says where they go.
func TestQuery_UnknownAndRepeatedParametersAreRefused(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		e.mustUser(key, map[string]any{"external_id": "u-42"})
		tok := e.createSession(key, map[string]any{"user": map[string]any{"external_id": "u-42"}}).Body["token"].(string)
		e.run(t, key, []string{appID}, []scenario{
			{name: "a misspelt filter", method: "GET", path: "/v1/users?externalid=u-42", status: 400, code: "invalid_request", field: "externalid",
				message: `Unknown query parameter "externalid"; did you mean "external_id"?`, details: map[string]any{"suggestion": "external_id"}, readOnly: true},
			{name: "other capitals", method: "GET", path: "/v1/sessions?User_Id=usr_x", status: 400, code: "invalid_request", field: "User_Id",
				details: map[string]any{"suggestion": "user_id"}, readOnly: true},
			{name: "nothing near", method: "GET", path: "/v1/accounts?colour=red", status: 400, code: "invalid_request", field: "colour",
				message: `Unknown query parameter "colour": this operation takes page_size, page_token.`, readOnly: true},
			{name: "an operation that takes none", method: "GET", path: "/v1/app?expand=settings", status: 400, code: "invalid_request", field: "expand",
				message: `Unknown query parameter "expand": this operation takes none.`, readOnly: true},
			{name: "a parameter twice", method: "GET", path: "/v1/users?page_size=1&page_size=50", status: 400, code: "invalid_request", field: "page_size",
				message: `The query parameter "page_size" is sent 2 times; send it once.`, readOnly: true},
			{name: "an empty filter", method: "GET", path: "/v1/sessions?user_id=", status: 400, code: "invalid_request", field: "user_id",
				message: `The query parameter "user_id" is empty: give it a value, or leave out a filter you do not need.`, readOnly: true},
			{name: "an empty page token is the first page", method: "GET", path: "/v1/users?page_token=", status: 200, readOnly: true},
			{name: "declared parameters", method: "GET", path: "/v1/users?external_id=u-42&page_size=5", status: 200, readOnly: true},
			{name: "a declared flag", method: "DELETE", path: "/v1/integrations/nothing?force=true", status: 404, code: "not_found", readOnly: true},
			{name: "a key in the query beside a good header", method: "GET", path: "/v1/app?api_key=pk_x", status: 200, readOnly: true},
			{name: "the user's endpoint", method: "GET", path: "/v1/me?fields=id", headers: bearerHdr(tok), status: 400, code: "invalid_request", field: "fields", readOnly: true},
			{name: "the user's endpoint, no query", method: "GET", path: "/v1/me", headers: bearerHdr(tok), status: 200, readOnly: true},
			// Authentication comes first: without a key, a 401.
			{name: "unauthenticated", method: "GET", path: "/v1/users?externalid=u", headers: map[string]string{"Authorization": ""}, status: 401, code: "unauthenticated", readOnly: true},
		})
	})
}

// A NUL character or bytes that are not UTF-8, decoded from the URL's path
// or query, are refused before any handler reads them: PostgreSQL cannot
// hold them in text, and no id or filter can contain them. Routes that take
// no credential too.
func TestQuery_NULAndInvalidUTF8AreRefused(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		appID, key := e.newApp("acme")
		none := map[string]string{}
		e.run(t, key, []string{appID}, []scenario{
			{name: "a NUL in a path id", method: "GET", path: "/v1/users/usr_%00", status: 400, code: "invalid_request", field: "path", readOnly: true},
			{name: "invalid UTF-8 in a path id", method: "DELETE", path: "/v1/sessions/ses_%ff", status: 400, code: "invalid_request", field: "path", readOnly: true},
			{name: "a NUL in a filter", method: "GET", path: "/v1/sessions?user_id=a%00b", status: 400, code: "invalid_request", field: "user_id", readOnly: true},
			{name: "invalid UTF-8 in a filter", method: "GET", path: "/v1/users?external_id=a%ffb", status: 400, code: "invalid_request", field: "external_id", readOnly: true},
			{name: "a NUL in a parameter name", method: "GET", path: "/v1/users?a%00=1", status: 400, code: "invalid_request", field: "query", readOnly: true},
			{name: "a flow id", method: "POST", path: "/v1/verifications/vfl_%00/confirm", body: map[string]any{"user": map[string]any{"external_id": "x"}},
				status: 400, code: "invalid_request", field: "path", readOnly: true},
			{name: "authorization server metadata, no credential", method: "GET", path: "/a/app_%00/.well-known/oauth-authorization-server", headers: none,
				status: 400, code: "invalid_request", field: "path", readOnly: true},
			{name: "protected resource metadata, no credential", method: "GET", path: "/.well-known/oauth-protected-resource/a/%00/mcp", headers: none,
				status: 400, code: "invalid_request", field: "path", readOnly: true},
			{name: "percent-encoded UTF-8 is fine", method: "GET", path: "/v1/users?external_id=%C3%A9", status: 200, readOnly: true},
		})
	})
}
