package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// NoAPIKey marks, in RoutePermissions, a route that takes no API key: a
// public one, one for a session token, a hosted page, or a compatible
// surface's answer to an unknown path or method.
const NoAPIKey = "-"

// RoutePermissions is the one table of every route the server registers,
// by its ServeMux pattern: the native API's, the hosted page's, the
// compatible surfaces' and the MCP server's. Each names the permission an
// API key needs there (docs/identity.md, "Key permissions"), or NoAPIKey.
// authenticateKey looks the request's pattern up here; a test walks the
// server's patterns and fails on one the table lacks.
var RoutePermissions = map[string]string{
	"GET /healthz":      NoAPIKey,
	"GET /readyz":       NoAPIKey,
	"GET /openapi.json": NoAPIKey,
	"GET /metrics":      NoAPIKey,
	// The MCP server of an app's authorization server takes its access
	// tokens only (docs/identity.md).
	"/a/{app}/mcp": NoAPIKey,

	// The native API (docs/openapi.json).
	"GET /v1/app":   portico.PermissionRead,
	"PATCH /v1/app": portico.PermissionAll,

	"POST /v1/users":        portico.PermissionSessions,
	"GET /v1/users":         portico.PermissionRead,
	"GET /v1/users/{id}":    portico.PermissionRead,
	"PATCH /v1/users/{id}":  portico.PermissionAll,
	"DELETE /v1/users/{id}": portico.PermissionAll,

	"POST /v1/sessions":                        portico.PermissionSessions,
	"GET /v1/sessions":                         portico.PermissionSessions,
	"GET /v1/sessions/{id}":                    portico.PermissionSessions,
	"DELETE /v1/sessions/{id}":                 portico.PermissionSessions,
	"POST /v1/sessions/{id}/extend":            portico.PermissionSessions,
	"POST /v1/sessions/{id}/configuration_url": portico.PermissionSessions,
	"DELETE /v1/users/{id}/sessions":           portico.PermissionSessions,
	"POST /v1/tokens/refresh":                  portico.PermissionSessions,
	"POST /v1/verifications/{flow}/confirm":    portico.PermissionSessions,

	"GET /v1/me":                     NoAPIKey,
	"GET /v1/me/connections":         NoAPIKey,
	"DELETE /v1/me/connections/{id}": NoAPIKey,
	"GET /v1/me/activity":            NoAPIKey,

	"POST /v1/accounts":        portico.PermissionAll,
	"GET /v1/accounts":         portico.PermissionRead,
	"GET /v1/accounts/{id}":    portico.PermissionRead,
	"PATCH /v1/accounts/{id}":  portico.PermissionAll,
	"DELETE /v1/accounts/{id}": portico.PermissionAll,

	"GET /v1/catalog":                       portico.PermissionRead,
	"PUT /v1/integrations/{slug}":           portico.PermissionAll,
	"GET /v1/integrations":                  portico.PermissionRead,
	"GET /v1/integrations/{slug}":           portico.PermissionRead,
	"DELETE /v1/integrations/{slug}":        portico.PermissionAll,
	"GET /v1/connections":                   portico.PermissionRead,
	"GET /v1/connections/{id}":              portico.PermissionRead,
	"DELETE /v1/connections/{id}":           portico.PermissionAll,
	"PUT /v1/users/{id}/connections/{slug}": portico.PermissionAll,

	"POST /v1/perform": portico.PermissionPerform,
	"GET /v1/tools":    portico.PermissionPerform,

	"GET /v1/activity": portico.PermissionRead,

	// The hosted page (docs/architecture.md): the user's browser, never a key.
	"GET /connect/static/":                                      NoAPIKey,
	"GET /connect/portico.js":                                   NoAPIKey,
	"GET /connect/verified/{code}":                              NoAPIKey,
	"GET /a/{app}/authorize":                                    NoAPIKey,
	"GET /a/{app}/consent/{flow}":                               NoAPIKey,
	"POST /a/{app}/consent/{flow}":                              NoAPIKey,
	"GET /.well-known/oauth-authorization-server/a/{app}":       NoAPIKey,
	"OPTIONS /.well-known/oauth-authorization-server/a/{app}":   NoAPIKey,
	"GET /a/{app}/.well-known/oauth-authorization-server":       NoAPIKey,
	"OPTIONS /a/{app}/.well-known/oauth-authorization-server":   NoAPIKey,
	"GET /.well-known/oauth-protected-resource/a/{app}/mcp":     NoAPIKey,
	"OPTIONS /.well-known/oauth-protected-resource/a/{app}/mcp": NoAPIKey,
	"POST /a/{app}/register":                                    NoAPIKey,
	"OPTIONS /a/{app}/register":                                 NoAPIKey,
	"POST /a/{app}/token":                                       NoAPIKey,
	"OPTIONS /a/{app}/token":                                    NoAPIKey,
	"POST /a/{app}/revoke":                                      NoAPIKey,
	"OPTIONS /a/{app}/revoke":                                   NoAPIKey,
	"GET /connect/{code}":                                       NoAPIKey,
	"POST /connect/open":                                        NoAPIKey,
	"GET /connect/open":                                         NoAPIKey,
	"GET /connect/{$}":                                          NoAPIKey,
	"GET /connect/activity":                                     NoAPIKey,
	"POST /connect/approvals/{id}/{decision}":                   NoAPIKey,
	"POST /connect/integrations/{slug}":                         NoAPIKey,
	"GET /connect/integrations/{slug}":                          NoAPIKey,
	"POST /connect/integrations/{slug}/settings":                NoAPIKey,
	"GET /connect/connections/{id}/{action}":                    NoAPIKey,
	"POST /connect/suggestions":                                 NoAPIKey,
	"POST /connect/connections/{id}/{action}":                   NoAPIKey,
	"POST /connect/done":                                        NoAPIKey,
	"POST /connect/oauth/{slug}/start":                          NoAPIKey,
	"GET /connect/oauth/callback":                               NoAPIKey,
	"/connect/":                                                 NoAPIKey, // any other address: the page's 404 or 405

	// Superface Hub API (docs/compat/superface.md).
	"POST /api/hub/session":        portico.PermissionSessions,
	"GET /api/hub/fd":              portico.PermissionPerform,
	"POST /api/hub/perform/{name}": portico.PermissionPerform,
	"GET /api/hub/tools/{name}":    portico.PermissionPerform,
	"/api/hub/session":             NoAPIKey,
	"/api/hub/fd":                  NoAPIKey,
	"/api/hub/perform/{name}":      NoAPIKey,
	"/api/hub/tools/{name}":        NoAPIKey,
	"/api/hub/":                    NoAPIKey,

	// Mindset AI (docs/compat/mindset.md).
	"POST /api/v1/appuid/{app_id}/sdkusers/auth": portico.PermissionSessions,
	"POST /api-authenticate-embedded-user":       portico.PermissionSessions,
	"/api/v1/appuid/{app_id}/sdkusers/auth":      NoAPIKey,
	"/api-authenticate-embedded-user":            NoAPIKey,
	"/api/v1/appuid/":                            NoAPIKey,

	// Human API Connect (docs/compat/humanapi.md).
	"POST /v1/connect/token": portico.PermissionSessions,
	"/v1/connect/token":      NoAPIKey,

	// Session Storage API (docs/compat/session-storage.md).
	"GET /session-storage/sessions":         portico.PermissionSessions,
	"GET /session-storage/sessions/{id}":    portico.PermissionSessions,
	"POST /session-storage/sessions/{id}":   portico.PermissionSessions,
	"DELETE /session-storage/sessions/{id}": portico.PermissionSessions,
	"/session-storage/sessions":             NoAPIKey,
	"/session-storage/sessions/{id}":        NoAPIKey,
	"/session-storage/":                     NoAPIKey,

	// Apideck Vault (docs/compat/apideck.md): consumers are users.
	"POST /vault/sessions":                                 portico.PermissionSessions,
	"GET /vault/consumers":                                 portico.PermissionRead,
	"POST /vault/consumers":                                portico.PermissionSessions,
	"GET /vault/consumers/{consumer_id}":                   portico.PermissionRead,
	"PATCH /vault/consumers/{consumer_id}":                 portico.PermissionAll,
	"DELETE /vault/consumers/{consumer_id}":                portico.PermissionAll,
	"GET /vault/connections":                               portico.PermissionRead,
	"GET /vault/connections/{unified_api}/{service_id}":    portico.PermissionRead,
	"PATCH /vault/connections/{unified_api}/{service_id}":  portico.PermissionAll,
	"DELETE /vault/connections/{unified_api}/{service_id}": portico.PermissionAll,
	"GET /vault/logs":                                      portico.PermissionRead,
	"/vault/sessions":                                      NoAPIKey,
	"/vault/consumers":                                     NoAPIKey,
	"/vault/consumers/{consumer_id}":                       NoAPIKey,
	"/vault/connections":                                   NoAPIKey,
	"/vault/connections/{unified_api}/{service_id}":        NoAPIKey,
	"/vault/logs":                                          NoAPIKey,
	"/vault/":                                              NoAPIKey,
	"/vault":                                               NoAPIKey,

	// The MCP server (docs/mcp.md): every method of its one path; a
	// session token there needs no key.
	"/mcp": portico.PermissionActAsUser,
	"GET /.well-known/oauth-protected-resource/mcp": NoAPIKey,
	"GET /.well-known/oauth-protected-resource":     NoAPIKey,
}

// permissionFor returns the permission the route of r needs. A route
// missing from RoutePermissions, or marked NoAPIKey, that reads a key is
// a bug of the table, refused as an internal error rather than served.
func permissionFor(r *http.Request) (string, error) {
	need, ok := RoutePermissions[r.Pattern]
	if !ok || need == NoAPIKey {
		return "", &portico.Error{Code: portico.CodeInternal, Message: "Internal error.",
			Err: fmt.Errorf("route %q reads an API key but RoutePermissions names no permission for it", r.Pattern)}
	}
	return need, nil
}

// isRead tells a GET request (or a HEAD, which GET routes serve): what
// PermissionRead allows.
func isRead(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// forbidden is the refusal of a valid key that lacks the permission need
// on r; the message names what else would have done.
func forbidden(r *http.Request, key *portico.APIKey, need string) error {
	var others []string
	if need != portico.PermissionActAsUser {
		if need != portico.PermissionAll {
			others = append(others, portico.PermissionAll)
		}
		if need != portico.PermissionRead && isRead(r) {
			others = append(others, portico.PermissionRead)
		}
	}
	alt := ""
	if len(others) > 0 {
		alt = " (or " + strings.Join(others, " or ") + ")"
	}
	return &portico.Error{Code: portico.CodeForbidden,
		Message: fmt.Sprintf("This API key lacks the permission %s%s, which this endpoint needs; it holds %s.",
			need, alt, strings.Join(key.Permissions, ", ")),
		Details: map[string]any{"permission": need}}
}
