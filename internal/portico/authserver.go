package portico

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Portico as an OAuth 2.1 authorization server for MCP clients that can
// only do OAuth (docs/identity.md): per app, issuer <public>/a/{app} and
// one protected resource, <public>/a/{app}/mcp. The sign-in is the app's
// user verification; the access tokens are sessions of the user, with
// their own token prefixes so that they are accepted only at that app's
// resource (ValidateToken refuses them everywhere else).

// Prefixes of the authorization server's ids and secrets.
const (
	PrefixOAuthClient  = "pcl_"
	PrefixAccessToken  = "pat_"
	PrefixOAuthRefresh = "por_"
	PrefixAuthCode     = "pac_"
)

// AuthCodeTTL is how long an authorization code can be exchanged.
const AuthCodeTTL = 60 * time.Second

// Verification flow kinds and the status of a decided authorization.
const (
	FlowLink      = "link"
	FlowAuthorize = "authorize"
	// VerificationDecided: the user allowed or denied the authorization.
	VerificationDecided = "decided"
)

// Limits of client registrations and metadata documents.
const (
	MaxClientRedirectURIs  = 10
	MaxClientNameLen       = 200
	MaxClientMetadataBytes = 64 << 10
	// MaxOAuthClientsPerApp bounds the clients anyone may register with
	// an app (registration takes no credential).
	MaxOAuthClientsPerApp  = 10000
	ClientMetadataCacheTTL = 5 * time.Minute
)

// OAuthError is an error of the OAuth wire (RFC 6749 §5.2, RFC 7591
// §3.2.2): its code and a description safe to show.
type OAuthError struct {
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, format string, args ...any) *OAuthError {
	return &OAuthError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// OAuthClient is a client of an app's authorization server: registered
// (RFC 7591, id pcl_…) or described by its metadata document (id = the
// document's https URL).
type OAuthClient struct {
	ID           string
	AppID        string
	Name         string
	RedirectURIs []string
	CreatedAt    time.Time
}

// RedirectHost is the host a redirect URI goes to, shown on the consent
// page.
func RedirectHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	return u.Host
}

// AuthorizationRequest is a checked /authorize request, kept in its
// sign-in flow until the user decides.
type AuthorizationRequest struct {
	ClientID      string `json:"client_id"`
	ClientName    string `json:"client_name"`
	RedirectURI   string `json:"redirect_uri"`
	State         string `json:"state"`
	CodeChallenge string `json:"code_challenge"`
	Resource      string `json:"resource"`
}

// AuthCode is an authorization code, stored hashed, single use.
type AuthCode struct {
	Hash        []byte
	AppID       string
	ClientID    string
	RedirectURI string
	Challenge   string
	Resource    string
	UserID      string
	// SessionID is the session its exchange created ("" before).
	SessionID string
	ExpiresAt time.Time
}

// ErrAuthCodeUsed is UseAuthCode's answer to a code exchanged before; the
// code comes with it, for the session its first exchange created.
var ErrAuthCodeUsed = &Error{Code: CodeConflict, Message: "The authorization code was used already."}

// AuthServerStore persists clients and codes.
type AuthServerStore interface {
	// CreateOAuthClient stores a registered client. An app that holds max
	// already makes room by deleting its oldest client that never completed
	// an authorization; without one, CodeQuotaExceeded.
	CreateOAuthClient(ctx context.Context, c *OAuthClient, max int) error
	// FindOAuthClient returns a registered client (CodeNotFound).
	FindOAuthClient(ctx context.Context, appID, id string) (*OAuthClient, error)
	// CreateAuthCode stores a code.
	CreateAuthCode(ctx context.Context, c *AuthCode) error
	// UseAuthCode marks the code used and returns it: CodeNotFound when
	// unknown, ErrAuthCodeUsed (with the code) when used before, which it
	// also records on the code.
	UseAuthCode(ctx context.Context, appID string, hash []byte) (*AuthCode, error)
	// SetAuthCodeSession records the session a code's exchange created:
	// ErrAuthCodeUsed when the code was presented again meanwhile.
	SetAuthCodeSession(ctx context.Context, appID string, hash []byte, sessionID string) error
	// DecideAuthorization ends a sign-in flow that is verified (status
	// used) for userID and unexpired at now; false when it is not.
	DecideAuthorization(ctx context.Context, appID, id, userID string, now time.Time) (bool, error)
	// PurgeAuthCodes deletes up to batch codes that expired before the
	// given instant. Deployment-wide.
	PurgeAuthCodes(ctx context.Context, before time.Time, batch int) (int, error)
}

// Issuer is the issuer of an app's authorization server.
func (s *Service) Issuer(appID string) string { return s.PublicURL + "/a/" + appID }

// Resource is the MCP endpoint an app's access tokens are for.
func (s *Service) Resource(appID string) string { return s.Issuer(appID) + "/mcp" }

// ClientRegistration is an RFC 7591 registration request, as far as
// Portico reads it.
type ClientRegistration struct {
	Name                    string
	RedirectURIs            []string
	TokenEndpointAuthMethod string
	GrantTypes              []string
	ResponseTypes           []string
}

// RegisterClient registers a public client (no secret: PKCE is its proof).
func (s *Service) RegisterClient(ctx context.Context, app *App, in ClientRegistration) (*OAuthClient, error) {
	if err := s.checkClientRedirects(in.RedirectURIs); err != nil {
		return nil, err
	}
	if m := in.TokenEndpointAuthMethod; m != "" && m != "none" {
		return nil, oauthErr("invalid_client_metadata", "token_endpoint_auth_method must be none: clients are public and prove themselves with PKCE.")
	}
	for _, g := range in.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return nil, oauthErr("invalid_client_metadata", "grant_types may hold authorization_code and refresh_token only.")
		}
	}
	for _, t := range in.ResponseTypes {
		if t != "code" {
			return nil, oauthErr("invalid_client_metadata", "response_types may hold code only.")
		}
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > MaxClientNameLen || hasControl(name) {
		return nil, oauthErr("invalid_client_metadata", "client_name must be at most %d bytes of text without control characters.", MaxClientNameLen)
	}
	if name == "" {
		name = RedirectHost(in.RedirectURIs[0])
	}
	c := &OAuthClient{ID: NewID(PrefixOAuthClient), AppID: app.ID, Name: name, RedirectURIs: in.RedirectURIs, CreatedAt: s.now()}
	err := s.store.CreateOAuthClient(ctx, c, MaxOAuthClientsPerApp)
	if ErrorCode(err) == CodeQuotaExceeded {
		return nil, oauthErr("invalid_client_metadata", "This server holds as many registered clients as it may (%d), every one of them in use; identify the client with a client ID metadata document instead.", MaxOAuthClientsPerApp)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkClientRedirects accepts 1 to MaxClientRedirectURIs redirect URIs,
// each https, or http to a loopback host; no fragment, no user info.
func (s *Service) checkClientRedirects(uris []string) error {
	if len(uris) == 0 || len(uris) > MaxClientRedirectURIs {
		return oauthErr("invalid_redirect_uri", "redirect_uris must hold 1 to %d URIs.", MaxClientRedirectURIs)
	}
	for _, u := range uris {
		if err := CheckClientRedirectURI(u); err != nil {
			return oauthErr("invalid_redirect_uri", "%q: %s", Echo(u), err.Error())
		}
	}
	return nil
}

// CheckClientRedirectURI accepts a redirect URI an OAuth client may
// declare: absolute, https or http to a loopback host, no fragment, no
// user info, no wildcard, no control character.
func CheckClientRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || len(raw) > MaxURLLength || hasControl(raw) || u.Host == "" || u.User != nil:
		return fmt.Errorf("not an absolute URL")
	case strings.Contains(raw, "#"):
		return fmt.Errorf("a redirect URI has no fragment")
	case strings.Contains(raw, "*"):
		// Compared exactly, a pattern would never match; refused so that
		// no one reads it as one.
		return fmt.Errorf("a redirect URI names one address: no wildcard")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("a redirect URI is https, or http to a loopback address")
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// clientCache keeps fetched client metadata documents.
type clientCache struct {
	mu      sync.Mutex
	entries map[string]clientCacheEntry
}

type clientCacheEntry struct {
	client  *OAuthClient
	expires time.Time
}

const maxCachedClients = 1000

// ResolveClient returns the client a client_id names: a registered client
// of the app, or the metadata document at an https URL (fetched through
// the address guard, at most MaxClientMetadataBytes, kept
// ClientMetadataCacheTTL). Errors are OAuthError invalid_client.
func (s *Service) ResolveClient(ctx context.Context, app *App, clientID string) (*OAuthClient, error) {
	if strings.HasPrefix(clientID, PrefixOAuthClient) {
		c, err := s.store.FindOAuthClient(ctx, app.ID, clientID)
		if ErrorCode(err) == CodeNotFound {
			return nil, oauthErr("invalid_client", "Unknown client_id.")
		}
		return c, err
	}
	u, err := url.Parse(clientID)
	if err != nil || !(u.Scheme == "https" || u.Scheme == "http" && s.AllowPrivateUpstreams && loopbackHost(u.Hostname())) ||
		u.Host == "" || u.User != nil || u.Fragment != "" || strings.Trim(u.Path, "/") == "" || len(clientID) > MaxURLLength {
		return nil, oauthErr("invalid_client", "Unknown client_id: it is neither a registered client nor the https URL of a client metadata document.")
	}
	now := s.now()
	s.clients.mu.Lock()
	if e, ok := s.clients.entries[clientID]; ok && now.Before(e.expires) {
		s.clients.mu.Unlock()
		return e.client, nil
	}
	s.clients.mu.Unlock()
	if s.FetchClientMetadata == nil {
		return nil, oauthErr("invalid_client", "Client metadata documents are not fetched by this server.")
	}
	body, err := s.FetchClientMetadata(ctx, clientID)
	if err != nil {
		return nil, oauthErr("invalid_client", "The client metadata document could not be fetched: %s", messageOf(err))
	}
	var doc struct {
		ClientID                string   `json:"client_id"`
		ClientName              string   `json:"client_name"`
		RedirectURIs            []string `json:"redirect_uris"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, oauthErr("invalid_client", "The client metadata document is not a JSON object of client metadata.")
	}
	if doc.ClientID != clientID {
		return nil, oauthErr("invalid_client", "The client metadata document's client_id must equal its URL.")
	}
	if err := s.checkClientRedirects(doc.RedirectURIs); err != nil {
		return nil, oauthErr("invalid_client", "The client metadata document: %s", err.(*OAuthError).Description)
	}
	if m := doc.TokenEndpointAuthMethod; m != "" && m != "none" {
		return nil, oauthErr("invalid_client", "The client metadata document asks for token_endpoint_auth_method %q; only none is supported.", Echo(m))
	}
	name := strings.TrimSpace(doc.ClientName)
	if name == "" || len(name) > MaxClientNameLen || hasControl(name) {
		name = u.Host
	}
	c := &OAuthClient{ID: clientID, AppID: app.ID, Name: name, RedirectURIs: doc.RedirectURIs, CreatedAt: now}
	s.clients.mu.Lock()
	if s.clients.entries == nil || len(s.clients.entries) >= maxCachedClients {
		s.clients.entries = map[string]clientCacheEntry{}
	}
	s.clients.entries[clientID] = clientCacheEntry{client: c, expires: now.Add(ClientMetadataCacheTTL)}
	s.clients.mu.Unlock()
	return c, nil
}

// AuthorizationServerOff is what an app's authorization server answers
// while the app has no user_verification_url, its sign-in.
const AuthorizationServerOff = "This app has not turned on sign-in for MCP clients: it has no user_verification_url."

// AuthorizeError is a refused /authorize request. Redirect false: the
// client or its redirect URI could not be trusted, and the error is shown
// to the user instead of sent back.
type AuthorizeError struct {
	*OAuthError
	Redirect bool
}

var challengeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// CheckAuthorization validates an /authorize request of app. The client
// and redirect URI come first (exact match); what is wrong after that is
// sent back to the client.
func (s *Service) CheckAuthorization(ctx context.Context, app *App, q url.Values) (*AuthorizationRequest, error) {
	// RFC 6749 §3.1: no parameter more than once. Checked first, before
	// a client or its redirect URI is trusted: which one was meant is
	// unknown, so the answer is a page, not a redirect.
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if len(q[k]) > 1 {
			return nil, &AuthorizeError{OAuthError: oauthErr("invalid_request", "%.64s is sent %d times; send each parameter once.", k, len(q[k]))}
		}
	}
	// A client or redirect URI holding bytes no registered one can hold
	// is not trusted either: a page. Any other parameter with them goes
	// back to the client, below.
	for _, k := range []string{"client_id", "redirect_uri"} {
		if !CleanText(q.Get(k)) {
			return nil, &AuthorizeError{OAuthError: oauthErr("invalid_request", "%s holds a NUL character or bytes that are not UTF-8.", k)}
		}
	}
	// Without a sign-in there is nothing to authorize with; said before
	// a client is resolved, so no metadata document is fetched for it.
	if !app.Settings.Verifies() {
		return nil, &AuthorizeError{OAuthError: oauthErr("access_denied", "%s", AuthorizationServerOff)}
	}
	client, err := s.ResolveClient(ctx, app, q.Get("client_id"))
	if err != nil {
		if oe, ok := err.(*OAuthError); ok {
			return nil, &AuthorizeError{OAuthError: oe}
		}
		return nil, err
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(client.RedirectURIs, redirect) {
		return nil, &AuthorizeError{OAuthError: oauthErr("invalid_request", "redirect_uri is not one of the client's redirect URIs (compared exactly).")}
	}
	req := &AuthorizationRequest{ClientID: client.ID, ClientName: client.Name, RedirectURI: redirect, State: q.Get("state"),
		CodeChallenge: q.Get("code_challenge"), Resource: q.Get("resource")}
	back := func(code, msg string) error {
		return &AuthorizeError{OAuthError: oauthErr(code, "%s", msg), Redirect: true}
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !CleanText(k) || !CleanText(q.Get(k)) {
			return req, back("invalid_request", fmt.Sprintf("The parameter %.64s holds a NUL character or bytes that are not UTF-8.", Echo(k)))
		}
	}
	switch {
	case q.Get("response_type") != "code":
		return req, back("unsupported_response_type", "response_type must be code.")
	case req.State == "" || len(req.State) > 500:
		return req, back("invalid_request", "state is required (at most 500 bytes).")
	case req.CodeChallenge == "" || q.Get("code_challenge_method") != "S256":
		return req, back("invalid_request", "PKCE is required: code_challenge with code_challenge_method S256.")
	case !challengeRe.MatchString(req.CodeChallenge):
		return req, back("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters).")
	case req.Resource != s.Resource(app.ID):
		return req, back("invalid_target", "resource must be "+s.Resource(app.ID)+".")
	}
	return req, nil
}

// BeginSignIn opens the sign-in flow of a checked authorization. A browser
// whose cookie holds a user the app verified (verifiedUser) goes straight
// to consent: the flow starts verified and to is "". Otherwise to is the
// app's user_verification_url with ?flow=.
func (s *Service) BeginSignIn(ctx context.Context, app *App, req *AuthorizationRequest, verifiedUser string) (flowID, to string, err error) {
	raw, _ := json.Marshal(req)
	now := s.now()
	v := &Verification{ID: NewID(PrefixVerification), AppID: app.ID, Kind: FlowAuthorize, Status: VerificationPending,
		Request: raw, CreatedAt: now, ExpiresAt: now.Add(VerificationTTL)}
	if verifiedUser != "" {
		if _, err := s.store.FindUserByID(ctx, app.ID, verifiedUser); err == nil {
			v.UserID, v.Status = verifiedUser, VerificationUsed
		}
	}
	if err := s.store.CreateVerification(ctx, v); err != nil {
		return "", "", err
	}
	if v.Status == VerificationUsed {
		return v.ID, "", nil
	}
	to, err = s.verifierURL(app, v.ID)
	return v.ID, to, err
}

// ErrFlowNotYours: a consent page opened by a browser that is not the one
// signed in for the flow, or after the flow ended.
var ErrFlowNotYours = &Error{Code: CodeGone, Message: "This authorization has ended or belongs to another browser; start again from the application."}

// PendingAuthorization returns the request of a sign-in flow waiting for
// userID's consent.
func (s *Service) PendingAuthorization(ctx context.Context, appID, flowID, userID string) (*AuthorizationRequest, error) {
	v, err := s.store.FindVerification(ctx, appID, flowID)
	if ErrorCode(err) == CodeNotFound {
		return nil, ErrFlowNotYours
	}
	if err != nil {
		return nil, err
	}
	if v.Kind != FlowAuthorize || v.Status != VerificationUsed || v.UserID != userID || !s.now().Before(v.ExpiresAt) {
		return nil, ErrFlowNotYours
	}
	var req AuthorizationRequest
	if err := json.Unmarshal(v.Request, &req); err != nil {
		return nil, fmt.Errorf("authorization request of %s: %w", v.ID, err)
	}
	return &req, nil
}

// DecideAuthorization records the user's answer, once, and returns where
// to send the browser: the client's redirect URI with a code (allow) or
// access_denied (deny), with state and iss (RFC 9207).
func (s *Service) DecideAuthorization(ctx context.Context, app *App, flowID, userID string, allow bool) (string, error) {
	req, err := s.PendingAuthorization(ctx, app.ID, flowID, userID)
	if err != nil {
		return "", err
	}
	now := s.now()
	ok, err := s.store.DecideAuthorization(ctx, app.ID, flowID, userID, now)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrFlowNotYours
	}
	q := url.Values{"state": {req.State}, "iss": {s.Issuer(app.ID)}}
	if !allow {
		q.Set("error", "access_denied")
		q.Set("error_description", "The user denied the authorization.")
		return withQuery(req.RedirectURI, q), nil
	}
	raw, hash := NewToken(PrefixAuthCode)
	code := &AuthCode{Hash: hash, AppID: app.ID, ClientID: req.ClientID, RedirectURI: req.RedirectURI, Challenge: req.CodeChallenge,
		Resource: req.Resource, UserID: userID, ExpiresAt: now.Add(AuthCodeTTL)}
	if err := s.store.CreateAuthCode(ctx, code); err != nil {
		return "", err
	}
	q.Set("code", raw)
	return withQuery(req.RedirectURI, q), nil
}

// AuthorizeErrorRedirect is where a refused authorization that may go back
// sends the browser.
func (s *Service) AuthorizeErrorRedirect(app *App, req *AuthorizationRequest, e *OAuthError) string {
	q := url.Values{"error": {e.Code}, "error_description": {e.Description}, "iss": {s.Issuer(app.ID)}}
	if req.State != "" {
		q.Set("state", req.State)
	}
	return withQuery(req.RedirectURI, q)
}

func withQuery(uri string, q url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	all := u.Query()
	for k, v := range q {
		all[k] = v
	}
	u.RawQuery = all.Encode()
	return u.String()
}

// TokenGrant is what /token answers.
type TokenGrant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int
	Session      *Session
}

// ExchangeCode trades an authorization code for tokens: the code must be
// unused and unexpired, of this client, redirect URI and resource, and
// the verifier must hash to its challenge. A code presented twice revokes
// the session its first exchange created.
func (s *Service) ExchangeCode(ctx context.Context, app *App, code, clientID, redirectURI, verifier, resource string) (*TokenGrant, error) {
	// A missing parameter is a malformed request (RFC 6749 §5.2), and uses
	// no code up.
	switch {
	case code == "":
		return nil, oauthErr("invalid_request", "code is required.")
	case verifier == "":
		return nil, oauthErr("invalid_request", "code_verifier is required: this server takes PKCE (S256) only.")
	}
	bad := oauthErr("invalid_grant", "The authorization code is invalid, expired, used, or was issued for another client, redirect URI, resource or verifier.")
	if !TokenHasPrefix(code, PrefixAuthCode) {
		return nil, bad
	}
	hash := HashToken(code)
	ac, err := s.store.UseAuthCode(ctx, app.ID, hash)
	switch {
	case errors.Is(err, ErrAuthCodeUsed):
		if ac != nil && ac.SessionID != "" {
			if err := s.RevokeSession(ctx, app.ID, ac.SessionID); err != nil && ErrorCode(err) != CodeNotFound {
				return nil, err
			}
		}
		return nil, bad
	case ErrorCode(err) == CodeNotFound:
		return nil, bad
	case err != nil:
		return nil, err
	}
	sum := sha256.Sum256([]byte(verifier))
	switch {
	case !s.now().Before(ac.ExpiresAt), ac.ClientID != clientID, ac.RedirectURI != redirectURI,
		resource != "" && resource != ac.Resource, len(verifier) < 43 || len(verifier) > 128,
		!EqualHash([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.Challenge)):
		return nil, bad
	}
	user, err := s.store.FindUserByID(ctx, app.ID, ac.UserID)
	if ErrorCode(err) == CodeNotFound {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	issued, err := json.Marshal(oauthIssue{ClientID: clientID})
	if err != nil {
		return nil, err
	}
	in := SessionInput{User: UserInput{ExternalID: user.ExternalID, Email: user.Email}, Refreshable: true, CustomSettings: issued}
	if user.ExternalID != nil {
		in.User.Email = nil
	}
	cs, err := s.createSession(ctx, app, in, PrefixAccessToken, PrefixOAuthRefresh)
	if c := ErrorCode(err); c == CodeSessionLimitReached || c == CodeQuotaExceeded {
		return nil, oauthErr("invalid_grant", "%s", messageOf(err))
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.SetAuthCodeSession(ctx, app.ID, hash, cs.Session.ID); err != nil {
		// Presented again while this exchange ran: what it issued ends,
		// as it would have had the other come later.
		if errors.Is(err, ErrAuthCodeUsed) {
			if err := s.RevokeSession(ctx, app.ID, cs.Session.ID); err != nil && ErrorCode(err) != CodeNotFound {
				return nil, err
			}
			return nil, bad
		}
		return nil, err
	}
	return &TokenGrant{AccessToken: cs.Token, RefreshToken: cs.RefreshToken, ExpiresIn: int(cs.Session.ExpiresAt.Sub(s.now()) / time.Second), Session: cs.Session}, nil
}

// RefreshAccessToken rotates an OAuth session's tokens (reuse of a
// rotated refresh token revokes the session, as for every session).
func (s *Service) RefreshAccessToken(ctx context.Context, app *App, refresh, clientID string) (*TokenGrant, error) {
	rs, err := s.refreshSession(ctx, app, refresh, PrefixOAuthRefresh, PrefixAccessToken, app.sessionLimit())
	switch ErrorCode(err) {
	case CodeInvalidToken:
		return nil, oauthErr("invalid_grant", "The refresh token is invalid, expired, revoked, or was used already (which revokes its session).")
	case CodeSessionLimitReached:
		return nil, oauthErr("invalid_grant", "%s", messageOf(err))
	}
	if err != nil {
		return nil, err
	}
	// The token is bound to the client it was issued to: another client
	// presenting it holds a stolen token, and the session ends, as on
	// reuse. A client that sends no client_id is known by the token.
	if clientID != "" && clientID != oauthClientOf(rs.Session) {
		if err := s.RevokeSession(ctx, app.ID, rs.Session.ID); err != nil && ErrorCode(err) != CodeNotFound {
			return nil, err
		}
		return nil, oauthErr("invalid_grant", "The refresh token was issued to another client; its session is revoked.")
	}
	return &TokenGrant{AccessToken: rs.Token, RefreshToken: rs.RefreshToken, ExpiresIn: int(rs.Session.ExpiresAt.Sub(s.now()) / time.Second), Session: rs.Session}, nil
}

// oauthClientOf is the client a session of the authorization server was
// issued to (ExchangeCode records it in the session's custom settings).
func oauthClientOf(sess *Session) string {
	var cs oauthIssue
	if json.Unmarshal(sess.CustomSettings, &cs) != nil {
		return ""
	}
	return cs.ClientID
}

// oauthIssue is the custom settings of a session the authorization server
// issued: the client it was issued to (docs/identity.md).
type oauthIssue struct {
	ClientID string `json:"oauth_client_id"`
}

// RevokeOAuthToken ends the session of an access or refresh token of the
// app (RFC 7009: an unknown token is no error).
func (s *Service) RevokeOAuthToken(ctx context.Context, app *App, token string) error {
	var sessID string
	switch {
	case TokenHasPrefix(token, PrefixAccessToken):
		// Whatever the session's state: an access token that expired
		// still names a session its refresh token can bring back.
		sess, _, err := s.store.FindSessionByTokenHash(ctx, HashToken(token))
		switch {
		case ErrorCode(err) == CodeNotFound:
			return nil
		case err != nil:
			return err
		case sess.AppID != app.ID:
			return nil
		}
		sessID = sess.ID
	case TokenHasPrefix(token, PrefixOAuthRefresh):
		// The current refresh token, or one a refresh has just rotated
		// away (a revocation that raced that refresh): either way the
		// client is done with the session. Nothing is rotated.
		id, err := s.store.FindSessionIDByRefreshHash(ctx, app.ID, HashToken(token))
		switch {
		case ErrorCode(err) == CodeNotFound:
			return nil
		case err != nil:
			return err
		}
		sessID = id
	default:
		return nil
	}
	if err := s.RevokeSession(ctx, app.ID, sessID); err != nil && ErrorCode(err) != CodeNotFound {
		return err
	}
	return nil
}

// ValidateAccessToken returns the live session of an access token issued
// for appID's resource; any other token, or one of another app, is
// CodeInvalidToken.
func (s *Service) ValidateAccessToken(ctx context.Context, raw, appID string) (*Session, *User, error) {
	sess, user, err := s.store.FindSessionByTokenHash(ctx, HashToken(raw))
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, nil, errInvalidAccessToken
		}
		return nil, nil, err
	}
	if !sess.Active(s.now()) || !TokenHasPrefix(raw, PrefixAccessToken) || sess.AppID != appID {
		return nil, nil, errInvalidAccessToken
	}
	return sess, user, nil
}

// PurgeAuthCodes deletes up to batch codes that expired a day ago or more.
func (s *Service) PurgeAuthCodes(ctx context.Context, batch int) (int, error) {
	return s.store.PurgeAuthCodes(ctx, s.now().Add(-24*time.Hour), batch)
}

var errInvalidAccessToken = &Error{Code: CodeInvalidToken, Message: "The access token is invalid, expired, revoked, or was issued for another resource."}
