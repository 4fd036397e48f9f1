// Package authserver serves the machine side of each app's OAuth 2.1
// authorization server for MCP clients (docs/identity.md): the metadata
// (RFC 8414) and the protected resource metadata of /a/{app}/mcp (RFC
// 9728), dynamic client registration (RFC 7591), /token and /revoke
// (RFC 7009). The browser side (/authorize, consent) is the hosted page's
// (internal/web); the rules are the domain's (portico.Service).
package authserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// Handler serves the endpoints.
type Handler struct {
	svc   *portico.Service
	log   *slog.Logger
	spend func(*http.Request) (bool, time.Duration)
}

// New returns the handler. spend charges a registration to its client
// address's budget, and says when that budget is spent (the server's
// per-IP limit of failed authentications): registering takes no
// credential.
func New(svc *portico.Service, log *slog.Logger, spend func(*http.Request) (bool, time.Duration)) *Handler {
	return &Handler{svc: svc, log: log, spend: spend}
}

// Register mounts the endpoints. Each answers cross-origin requests
// (CORS, any origin, no cookies), as a client running in a browser needs:
// none of them reads a cookie, so no origin gains anything by it.
func (h *Handler) Register(mount func(pattern string, handler http.Handler)) {
	for _, e := range []struct {
		method, path string
		fn           http.HandlerFunc
	}{
		{"GET", "/.well-known/oauth-authorization-server/a/{app}", h.serveMetadata},
		{"GET", "/a/{app}/.well-known/oauth-authorization-server", h.serveMetadata},
		{"GET", "/.well-known/oauth-protected-resource/a/{app}/mcp", h.serveResourceMetadata},
		{"POST", "/a/{app}/register", h.serveRegister},
		{"POST", "/a/{app}/token", h.serveToken},
		{"POST", "/a/{app}/revoke", h.serveRevoke},
	} {
		mount(e.method+" "+e.path, cors(e.fn))
		mount("OPTIONS "+e.path, cors(nil))
	}
}

// cors allows any origin; a preflight (next nil) is answered here.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if next == nil {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization, MCP-Protocol-Version")
			w.Header().Set("Access-Control-Max-Age", "3600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// metadata is the RFC 8414 document of an app's authorization server.
type metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// app finds the app of the path; an unknown one is a 404 in OAuth's shape.
func (h *Handler) app(w http.ResponseWriter, r *http.Request) *portico.App {
	app, err := h.svc.FindApp(r.Context(), r.PathValue("app"))
	if err != nil {
		if portico.ErrorCode(err) == portico.CodeNotFound {
			writeOAuth(w, http.StatusNotFound, &portico.OAuthError{Code: "invalid_request", Description: "No such app."})
			return nil
		}
		h.internal(w, r, err)
		return nil
	}
	return app
}

// serverApp is app for the endpoints that exist only while the app's
// authorization server is on, which is while it has a user_verification_url
// (its sign-in, docs/identity.md): for an app without one they answer 404,
// so a client learns at discovery that there is nothing to register with.
func (h *Handler) serverApp(w http.ResponseWriter, r *http.Request) *portico.App {
	app := h.app(w, r)
	if app != nil && !app.Settings.Verifies() {
		writeOAuth(w, http.StatusNotFound, &portico.OAuthError{Code: "invalid_request", Description: portico.AuthorizationServerOff})
		return nil
	}
	return app
}

func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	app := h.serverApp(w, r)
	if app == nil {
		return
	}
	iss := h.svc.Issuer(app.ID)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	compat.WriteJSON(w, http.StatusOK, metadata{Issuer: iss, AuthorizationEndpoint: iss + "/authorize", TokenEndpoint: iss + "/token",
		RegistrationEndpoint: iss + "/register", RevocationEndpoint: iss + "/revoke",
		ResponseTypesSupported: []string{"code"}, GrantTypesSupported: []string{"authorization_code", "refresh_token"},
		CodeChallengeMethodsSupported: []string{"S256"}, TokenEndpointAuthMethodsSupported: []string{"none"},
		RevocationEndpointAuthMethodsSupported: []string{"none"},
		ClientIDMetadataDocumentSupported:      true, AuthorizationResponseIssParameterSupported: true})
}

// resourceMetadata is the RFC 9728 document of /a/{app}/mcp.
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
}

// serveResourceMetadata answers for every app: /a/{app}/mcp takes session
// tokens and API keys whether or not the app signs users in. The
// authorization server is named only while it is on.
func (h *Handler) serveResourceMetadata(w http.ResponseWriter, r *http.Request) {
	app := h.app(w, r)
	if app == nil {
		return
	}
	var servers []string
	w.Header().Set("Cache-Control", "public, max-age=60")
	if app.Settings.Verifies() {
		servers = []string{h.svc.Issuer(app.ID)}
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	compat.WriteJSON(w, http.StatusOK, resourceMetadata{Resource: h.svc.Resource(app.ID), AuthorizationServers: servers,
		BearerMethodsSupported: []string{"header"}, ResourceName: app.Name})
}

// registration is the part of an RFC 7591 request Portico reads; other
// client metadata is accepted and not kept.
type registration struct {
	RedirectURIs            []string `json:"redirect_uris"`
	ClientName              string   `json:"client_name"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
}

type registered struct {
	ClientID                string   `json:"client_id"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientName              string   `json:"client_name"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
}

const maxRegistrationBytes = 64 << 10

func (h *Handler) serveRegister(w http.ResponseWriter, r *http.Request) {
	app := h.serverApp(w, r)
	if app == nil {
		return
	}
	if ok, wait := h.spend(r); !ok {
		secs := portico.RetrySeconds(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeOAuth(w, http.StatusTooManyRequests, &portico.OAuthError{Code: "rate_limited",
			Description: "Too many registrations from this address; retry after " + portico.HumanDuration(time.Duration(secs)*time.Second) + "."})
		return
	}
	// RFC 7591 registers with a JSON body. Another type is refused: a web
	// page may post text/plain across sites without a preflight, and so
	// register clients from its visitors' browsers.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeOAuth(w, http.StatusUnsupportedMediaType, &portico.OAuthError{Code: "invalid_client_metadata", Description: "Send the client metadata as JSON with Content-Type: application/json."})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRegistrationBytes+1))
	var in registration
	if err != nil || len(body) > maxRegistrationBytes || json.Unmarshal(body, &in) != nil {
		writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_client_metadata", Description: "The body must be a JSON object of client metadata, at most 64 KiB."})
		return
	}
	// Unknown metadata is ignored (RFC 7591 §2), but the body is read as
	// the native API reads one: UTF-8, and no key twice, which parsers
	// resolve differently.
	if err := jsonbody.Check(body); err != nil {
		writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_client_metadata", Description: portico.AsError(err).Message})
		return
	}
	c, err := h.svc.RegisterClient(r.Context(), app, portico.ClientRegistration{Name: in.ClientName, RedirectURIs: in.RedirectURIs,
		TokenEndpointAuthMethod: in.TokenEndpointAuthMethod, GrantTypes: in.GrantTypes, ResponseTypes: in.ResponseTypes})
	if h.oauthFailure(w, r, err, http.StatusBadRequest) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	compat.WriteJSON(w, http.StatusCreated, registered{ClientID: c.ID, ClientIDIssuedAt: c.CreatedAt.Unix(), ClientName: c.Name,
		RedirectURIs: c.RedirectURIs, TokenEndpointAuthMethod: "none", GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}})
}

// tokenAnswer is the RFC 6749 §5.1 answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	app := h.serverApp(w, r)
	if app == nil {
		return
	}
	f, ok := form(w, r)
	if !ok {
		return
	}
	var g *portico.TokenGrant
	var err error
	switch f.Get("grant_type") {
	case "authorization_code":
		g, err = h.svc.ExchangeCode(r.Context(), app, f.Get("code"), f.Get("client_id"), f.Get("redirect_uri"), f.Get("code_verifier"), f.Get("resource"))
	case "refresh_token":
		g, err = h.svc.RefreshAccessToken(r.Context(), app, f.Get("refresh_token"), f.Get("client_id"))
	default:
		writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "unsupported_grant_type", Description: "grant_type must be authorization_code or refresh_token."})
		return
	}
	if h.oauthFailure(w, r, err, http.StatusBadRequest) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	compat.WriteJSON(w, http.StatusOK, tokenAnswer{AccessToken: g.AccessToken, TokenType: "Bearer", ExpiresIn: g.ExpiresIn, RefreshToken: g.RefreshToken})
}

func (h *Handler) serveRevoke(w http.ResponseWriter, r *http.Request) {
	app := h.app(w, r)
	if app == nil {
		return
	}
	f, ok := form(w, r)
	if !ok {
		return
	}
	if f.Get("token") == "" {
		writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_request", Description: "token is required: send the access or refresh token to revoke."})
		return
	}
	if h.oauthFailure(w, r, h.svc.RevokeOAuthToken(r.Context(), app, f.Get("token")), http.StatusBadRequest) {
		return
	}
	w.WriteHeader(http.StatusOK)
}

// form parses a bounded form body of the token or revocation endpoint;
// credentials never come in the query. A parameter sent twice is refused
// (RFC 6749 §3.2), and so is a client secret (RFC 6749 §5.2
// invalid_client): clients here are public (token_endpoint_auth_method
// none), and a secret sent means a client that believes otherwise.
func form(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil || r.URL.RawQuery != "" {
		writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_request", Description: "Send an application/x-www-form-urlencoded body, and nothing in the query."})
		return nil, false
	}
	for _, k := range slices.Sorted(maps.Keys(r.PostForm)) {
		if len(r.PostForm[k]) > 1 {
			writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_request", Description: fmt.Sprintf("%s is sent more than once; send each parameter once.", portico.Echo(k))})
			return nil, false
		}
	}
	user, secret, basic := r.BasicAuth()
	if (basic && secret != "") || r.PostForm.Get("client_secret") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="portico"`)
		writeOAuth(w, http.StatusUnauthorized, &portico.OAuthError{Code: "invalid_client", Description: "Clients of this server are public (token_endpoint_auth_method none): send client_id without a secret."})
		return nil, false
	}
	// A client may name itself in Basic with an empty password (RFC 6749
	// §2.3.1, form-encoded), as golang.org/x/oauth2 does by default.
	if basic {
		id, err := url.QueryUnescape(user)
		switch given := r.PostForm.Get("client_id"); {
		case err != nil || id == "":
			writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_request", Description: "The client_id in Authorization: Basic is not form-encoded text."})
			return nil, false
		case given == "":
			r.PostForm.Set("client_id", id)
		case given != id:
			writeOAuth(w, http.StatusBadRequest, &portico.OAuthError{Code: "invalid_request", Description: "client_id differs from the one in Authorization: Basic."})
			return nil, false
		}
	}
	return r.PostForm, true
}

// oauthFailure writes err, if any, and reports whether it did: an
// OAuthError in OAuth's shape with status (401 for invalid_client), any
// other as a 500 whose cause goes to the log only.
func (h *Handler) oauthFailure(w http.ResponseWriter, r *http.Request, err error, status int) bool {
	if err == nil {
		return false
	}
	var oe *portico.OAuthError
	if errors.As(err, &oe) {
		if oe.Code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		writeOAuth(w, status, oe)
		return true
	}
	h.internal(w, r, err)
	return true
}

func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	if portico.ErrorCode(err) == portico.CodeUnavailable {
		status = http.StatusServiceUnavailable
	}
	h.log.LogAttrs(r.Context(), slog.LevelError, "authserver_failed", slog.String("route", r.Pattern), slog.Any("error", err))
	writeOAuth(w, status, &portico.OAuthError{Code: "server_error", Description: "Try again in a moment."})
}

func writeOAuth(w http.ResponseWriter, status int, e *portico.OAuthError) {
	w.Header().Set("Cache-Control", "no-store")
	compat.WriteJSON(w, status, struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}{e.Code, e.Description})
}
