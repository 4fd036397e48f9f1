// Package upstream talks to third-party services for the users of an app:
// the OAuth2 authorization-code exchange of the hosted page (and, with the
// perform capability, building and sending proxied requests).
package upstream

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/porticohq/portico/internal/portico"
)

// Timeout bounds every upstream call.
const Timeout = 30 * time.Second

// OAuth2 builds the authorize URL of an integration and exchanges codes.
type OAuth2 struct {
	// Client sends the token requests, which never follow a redirect (a
	// redirect would send the code or the refresh token again); nil means
	// a client with Timeout but no address guard. The server passes
	// Proxy.Client, whose guard refuses private addresses.
	Client *http.Client

	// styles remembers, per token endpoint and client id, the client
	// authentication that worked for an integration that names none.
	styles sync.Map
}

func (o *OAuth2) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return &http.Client{Timeout: Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// tokenClient is client, reading token answers through tokenAnswers.
func (o *OAuth2) tokenClient() *http.Client {
	c := *o.client()
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = tokenAnswers{base}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// config is the golang.org/x/oauth2 client of an integration, with the
// catalogue's extras (docs/catalog-data.md): scopes joined by the
// provider's separator, and the token endpoint's authentication method
// (AuthStyleAutoDetect when the integration does not say: token then
// chooses).
func config(integ *portico.Integration, clientSecret, redirectURL string) *oauth2.Config {
	oc := integ.Auth.OAuth2
	scopes := portico.ScopeNames(oc.Scopes)
	if oc.ScopeSeparator == "," && len(scopes) > 0 {
		scopes = []string{strings.Join(scopes, ",")}
	}
	style := oauth2.AuthStyleAutoDetect
	switch oc.TokenEndpointAuthMethod {
	case portico.TokenAuthPost:
		style = oauth2.AuthStyleInParams
	case portico.TokenAuthBasic:
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID: oc.ClientID, ClientSecret: clientSecret, Scopes: scopes, RedirectURL: redirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: oc.AuthorizeURL, TokenURL: oc.TokenURL, AuthStyle: style},
	}
}

// token runs a token request (run) with the integration's client
// authentication: the method it names, else the one that worked last for
// its token endpoint and client id, else client_secret_basic (RFC 6749's
// default). It tries the other method only when the provider refused the
// client itself (401, or the error invalid_client): the client is
// authenticated before the grant is looked at, so the code or refresh
// token was not used and may be sent again. Any other failure is final:
// golang.org/x/oauth2's own detection sends every failed request twice,
// which replays a code or a rotated refresh token to the provider.
func (o *OAuth2) token(integ *portico.Integration, clientSecret, redirectURL string, run func(*oauth2.Config) (*oauth2.Token, error)) (*oauth2.Token, error) {
	c := config(integ, clientSecret, redirectURL)
	if c.Endpoint.AuthStyle != oauth2.AuthStyleAutoDetect {
		return run(c)
	}
	key := c.Endpoint.TokenURL + "\x00" + c.ClientID
	first, other := oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams
	if v, ok := o.styles.Load(key); ok && v.(oauth2.AuthStyle) == other {
		first, other = other, first
	}
	c.Endpoint.AuthStyle = first
	tok, err := run(c)
	if err != nil && clientRefused(err) {
		c.Endpoint.AuthStyle = other
		tok, err = run(c)
	}
	if err == nil {
		o.styles.Store(key, c.Endpoint.AuthStyle)
	}
	return tok, err
}

// clientRefused reports whether a token request failed on the client's
// authentication.
func clientRefused(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	return re.ErrorCode == "invalid_client" || re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized
}

// AuthCodeURL is where the user's browser goes to authorize: the
// integration's authorize URL with the client id, scopes, state, its
// authorize_params (access_type=offline unless they set access_type) and,
// unless the integration turns PKCE off, the S256 challenge of verifier.
func (o *OAuth2) AuthCodeURL(integ *portico.Integration, redirectURL, state, verifier string) string {
	oc := integ.Auth.OAuth2
	opts := []oauth2.AuthCodeOption{}
	if _, ok := oc.AuthorizeParams["access_type"]; !ok {
		opts = append(opts, oauth2.AccessTypeOffline)
	}
	for _, k := range slices.Sorted(maps.Keys(oc.AuthorizeParams)) {
		opts = append(opts, oauth2.SetAuthURLParam(k, oc.AuthorizeParams[k]))
	}
	if oc.UsesPKCE() {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return config(integ, "", redirectURL).AuthCodeURL(state, opts...)
}

// ErrExchange is a failed token request (code exchange or refresh). Its
// message never holds a secret but may hold the token URL, an address and
// why the address guard refused it: it is for the log, not for a user's
// page. A provider's refusal also wraps ErrRefused, and an answer that is
// not a token portico.ErrProviderAnswer; a provider that could not be
// reached wraps neither.
var ErrExchange = errors.New("the token request failed")

// ErrRefused is a token request the provider answered with a refusal (an
// OAuth2 error answer or an error status): the domain's
// portico.ErrProviderRefused.
var ErrRefused = portico.ErrProviderRefused

// Exchange trades an authorization code for tokens, as credentials of a
// connection: access_token, and refresh_token, token_type, expires_at (now
// plus the provider's expires_in), scope when the provider gives them.
func (o *OAuth2) Exchange(ctx context.Context, integ *portico.Integration, clientSecret, redirectURL, code, verifier string, now time.Time) (portico.Credentials, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.tokenClient())
	opts := []oauth2.AuthCodeOption{}
	if integ.Auth.OAuth2.UsesPKCE() {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := o.token(integ, clientSecret, redirectURL, func(c *oauth2.Config) (*oauth2.Token, error) { return c.Exchange(ctx, code, opts...) })
	if err != nil {
		return nil, exchangeError(err, redactions(integ.Auth.OAuth2.ClientID, clientSecret, code, verifier))
	}
	return credentialsOf(tok, now), nil
}

// maxRefusalText bounds the provider's words kept in a refusal.
const maxRefusalText = 200

// redactions are the forms in which a provider may echo what a token
// request carried: each secret as given and %-encoded as in the form, and
// the client's Basic credentials as in the Authorization header; longest
// first.
func redactions(clientID, clientSecret string, others ...string) []string {
	var out []string
	for _, s := range append([]string{clientSecret}, others...) {
		if s != "" {
			out = append(out, s, url.QueryEscape(s))
		}
	}
	if clientSecret != "" {
		for _, pair := range []string{clientID + ":" + clientSecret, url.QueryEscape(clientID) + ":" + url.QueryEscape(clientSecret)} {
			out = append(out, base64.StdEncoding.EncodeToString([]byte(pair)), base64.RawStdEncoding.EncodeToString([]byte(pair)))
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// exchangeError describes a refused token request without any secret: the
// provider's error and description, cut at maxRefusalText bytes, with the
// redact forms of what the request carried that the provider echoed (some
// do, in debugging modes) taken out.
func exchangeError(err error, redact []string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 400 {
		// A redirect, which token requests do not follow.
		return fmt.Errorf("%w: %w: the provider answered %s", ErrExchange, portico.ErrProviderAnswer, re.Response.Status)
	}
	if re != nil && !providerTrouble(re) {
		desc := re.ErrorCode
		if re.ErrorDescription != "" {
			desc += ": " + re.ErrorDescription
		}
		for _, s := range redact {
			desc = strings.ReplaceAll(desc, s, "[redacted]")
		}
		desc = strings.ToValidUTF8(strings.TrimSpace(desc), "?")
		if len(desc) > maxRefusalText {
			desc = strings.ToValidUTF8(desc[:maxRefusalText], "") + "…"
		}
		return fmt.Errorf("%w: %w (%s)", ErrExchange, ErrRefused, desc)
	}
	if re != nil {
		// A 5xx, 408 or 429: the provider could not answer now.
		return fmt.Errorf("%w: the provider answered %s", ErrExchange, re.Response.Status)
	}
	// The transport's failures are *url.Error; anything else came after an
	// answer was read (no access_token, a body that does not parse).
	if ue := (*url.Error)(nil); !errors.As(err, &ue) {
		return fmt.Errorf("%w: %w: %v", ErrExchange, portico.ErrProviderAnswer, err)
	}
	return fmt.Errorf("%w: %v", ErrExchange, err)
}

// providerTrouble reports whether a token request's error answer says the
// provider could not answer now (5xx, 408, 429) rather than refused it.
func providerTrouble(re *oauth2.RetrieveError) bool {
	if re.Response == nil {
		return false
	}
	st := re.Response.StatusCode
	return st >= 500 || st == http.StatusRequestTimeout || st == http.StatusTooManyRequests
}

// MaxTokenLifetime caps the lifetime recorded for an access token. A
// provider's expires_in beyond it (some send 2^31-1 or more for "does not
// expire") is recorded as this long: longer than any token lifetime a
// provider documents, and far inside what a time holds.
const MaxTokenLifetime = 10 * 365 * 24 * time.Hour

// lifetime is the access token's lifetime from the provider's expires_in,
// capped at MaxTokenLifetime; ok is false when the answer gives none, or
// one of zero or less, which is recorded as no expiry (the token is used
// until the provider refuses it, as when expires_in is absent), not as an
// already expired token that every use would refresh again. It reads the
// answer's own value: golang.org/x/oauth2 fills Token.ExpiresIn from JSON
// answers only (a form-encoded answer, GitHub's default, carries it among
// the extras) and narrows it to 32 bits, where a large negative number can
// wrap to a positive one.
func lifetime(tok *oauth2.Token) (d time.Duration, ok bool) {
	var n int64
	switch v := tok.Extra("expires_in").(type) {
	case int64: // form-encoded
		n = v
	case float64: // JSON number
		n = int64(max(min(v, 1<<62), -1))
	case string: // JSON string (PayPal), or form-encoded digits beyond int64
		i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			n = i // ParseInt saturates out-of-range values
		}
	default:
		n = tok.ExpiresIn
	}
	if n <= 0 {
		return 0, false
	}
	return min(portico.Seconds(n), MaxTokenLifetime), true
}

// credentialsOf turns a token answer into a connection's credentials;
// expires_at is now plus the token's lifetime.
func credentialsOf(tok *oauth2.Token, now time.Time) portico.Credentials {
	creds := portico.Credentials{portico.TokenAccess: tok.AccessToken}
	if tok.RefreshToken != "" {
		creds[portico.TokenRefresh] = tok.RefreshToken
	}
	if tok.TokenType != "" {
		creds[portico.TokenType] = tok.TokenType
	}
	if d, ok := lifetime(tok); ok {
		creds[portico.TokenExpiresAt] = now.Add(d).UTC().Format(time.RFC3339)
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		creds[portico.TokenScope] = s
	}
	return creds
}

// Refresh trades a connection's refresh token for new tokens at the
// integration's token endpoint. The answer keeps the old refresh token when
// the provider sends none (most rotate it, some do not). A refusal for good
// wraps portico.ErrRefreshRejected; other failures are transient.
func (o *OAuth2) Refresh(ctx context.Context, integ *portico.Integration, clientSecret string, old portico.Credentials, now time.Time) (portico.Credentials, error) {
	rt := old[portico.TokenRefresh]
	if rt == "" {
		return nil, fmt.Errorf("%w: %w: the connection holds no refresh token", portico.ErrRefreshRejected, ErrExchange)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.tokenClient())
	// An expired token makes the source refresh at once.
	tok, err := o.token(integ, clientSecret, "", func(c *oauth2.Config) (*oauth2.Token, error) {
		return c.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)}).Token()
	})
	if err != nil {
		// A 4xx answer (invalid_grant, invalid_client …) is final; 408 and
		// 429 ask to come back, like a 5xx or a network failure.
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && !providerTrouble(re) {
			return nil, fmt.Errorf("%w: %w", portico.ErrRefreshRejected, exchangeError(err, redactions(integ.Auth.OAuth2.ClientID, clientSecret, rt)))
		}
		return nil, exchangeError(err, redactions(integ.Auth.OAuth2.ClientID, clientSecret, rt))
	}
	return credentialsOf(tok, now), nil
}
