package portico

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OAuthState is an authorization begun on the hosted page: single use,
// short-lived, bound to one page session. Verifier is the sealed PKCE
// verifier.
type OAuthState struct {
	Hash        []byte
	AppID       string
	SessionID   string
	Integration string
	Verifier    string
	// Settings are the connection settings the user entered before
	// authorizing (they may be part of the provider's URLs).
	Settings  map[string]string
	ExpiresAt time.Time
}

// OAuthStore persists OAuth states.
type OAuthStore interface {
	// CreateOAuthState stores a state.
	CreateOAuthState(ctx context.Context, st *OAuthState) error
	// UseOAuthState marks the state with this hash used and returns it,
	// only when it is the state of this app's page session sessionID,
	// unused and unexpired (one conditional update). Otherwise it marks
	// nothing and fails with ErrOAuthOther when the state belongs to
	// another session, ErrOAuthState when it is unknown, used or expired:
	// a stranger presenting someone's state cannot spend it.
	UseOAuthState(ctx context.Context, appID, sessionID string, hash []byte) (*OAuthState, error)
}

// OAuthStateTTL bounds the time between starting an authorization and the
// provider's callback.
const OAuthStateTTL = 10 * time.Minute

// Why a callback is refused.
var (
	ErrOAuthState = &Error{Code: CodeInvalid, Message: "This authorization is not valid (missing, altered, expired or already used state). Start again from the page."}
	ErrOAuthOther = &Error{Code: CodeForbidden, Message: "This authorization was started in another session. Start again from the page."}
)

func oauthVerifierAAD(appID, sessionID string) string {
	return "portico:oauth-state:" + appID + ":" + sessionID
}

// BeginOAuth starts an OAuth2 authorization of an integration the session
// may show, with the connection settings the user entered (checked now,
// kept with the state for the connection made at the callback): it returns
// the integration with its OAuth2 URLs filled from the settings, the raw
// state to send to the provider and the PKCE verifier (S256) whose
// challenge goes with it.
func (s *Service) BeginOAuth(ctx context.Context, sess *Session, user *User, slug string, settings map[string]string) (*Integration, string, string, error) {
	integ, err := s.sessionIntegration(ctx, sess, user, slug)
	if err != nil {
		return nil, "", "", err
	}
	if integ.Auth.Type != AuthOAuth2 || integ.Auth.OAuth2 == nil {
		return nil, "", "", Invalidf("integration", "%s is not connected with OAuth2.", integ.Name)
	}
	if err := s.mayReplace(ctx, sess, user, integ); err != nil {
		return nil, "", "", err
	}
	set, err := integ.CheckSettings(settings, s.AllowPrivateUpstreams)
	if err != nil {
		return nil, "", "", err
	}
	if integ, err = integ.oauthFor(set); err != nil {
		return nil, "", "", err
	}
	raw, hash := NewToken("")
	verifier := randomText(32)
	sealed, err := s.Sealer.Seal([]byte(verifier), oauthVerifierAAD(sess.AppID, sess.ID))
	if err != nil {
		return nil, "", "", err
	}
	st := &OAuthState{Hash: hash, AppID: sess.AppID, SessionID: sess.ID, Integration: slug, Verifier: sealed,
		Settings: set, ExpiresAt: s.now().Add(OAuthStateTTL)}
	if err := s.store.CreateOAuthState(ctx, st); err != nil {
		return nil, "", "", err
	}
	return integ, raw, verifier, nil
}

// OAuthGrant is an authorization the provider returned to the page: the
// integration (its OAuth2 URLs filled from Settings), the PKCE verifier
// and the settings entered before authorizing.
type OAuthGrant struct {
	Integration *Integration
	Verifier    string
	Settings    map[string]string
}

// FinishOAuth uses a state returned by the provider, once: it must belong
// to sess, and another session presenting it leaves it usable by its own.
func (s *Service) FinishOAuth(ctx context.Context, sess *Session, user *User, rawState string) (*OAuthGrant, error) {
	if rawState == "" || len(rawState) > 128 {
		return nil, ErrOAuthState
	}
	st, err := s.store.UseOAuthState(ctx, sess.AppID, sess.ID, HashToken(rawState))
	if err != nil {
		return nil, err
	}
	v, err := s.Sealer.Open(st.Verifier, oauthVerifierAAD(st.AppID, st.SessionID))
	if err != nil {
		return nil, err
	}
	integ, err := s.sessionIntegration(ctx, sess, user, st.Integration)
	if err != nil {
		return nil, err
	}
	if integ, err = integ.oauthFor(st.Settings); err != nil {
		return nil, err
	}
	return &OAuthGrant{Integration: integ, Verifier: string(v), Settings: st.Settings}, nil
}

// oauthFor is a copy of the integration whose OAuth2 URLs have their
// settings placeholders filled in (the integration itself when they have
// none).
func (in *Integration) oauthFor(settings map[string]string) (*Integration, error) {
	o := in.Auth.OAuth2
	if o == nil || !strings.Contains(o.AuthorizeURL+o.TokenURL, "{") {
		return in, nil
	}
	cp, oc := *in, *o
	var err error
	if oc.AuthorizeURL, err = expandURL(o.AuthorizeURL, settings); err != nil {
		return nil, err
	}
	if oc.TokenURL, err = expandURL(o.TokenURL, settings); err != nil {
		return nil, err
	}
	cp.Auth.OAuth2 = &oc
	return &cp, nil
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OAuth2Flow runs the authorization-code flow with an integration's
// provider: package upstream's OAuth2 client, the same one that refreshes
// tokens (Service.Refresher).
type OAuth2Flow interface {
	// AuthCodeURL is the provider's authorize URL with the client id,
	// scopes, state and the S256 challenge of verifier.
	AuthCodeURL(integ *Integration, redirectURL, state, verifier string) string
	// Exchange trades a code for tokens. A provider's refusal wraps
	// ErrProviderRefused; an answer without a token, ErrProviderAnswer.
	Exchange(ctx context.Context, integ *Integration, clientSecret, redirectURL, code, verifier string, now time.Time) (Credentials, error)
}

// ErrProviderRefused is a token request the provider answered with a
// refusal (an OAuth2 error answer or an error status), not a failure to
// reach it.
var ErrProviderRefused = errors.New("the provider refused it")

// ErrProviderAnswer is a token request the provider answered, but not with
// a token (no access_token, or a body that is not a token answer): not a
// failure to reach it either.
var ErrProviderAnswer = errors.New("the provider's answer could not be used")

// OAuthExchangeError is a code exchange that failed. Err may name the
// token URL, an address and why the address guard refused it: it is for
// the log; Integration's name is for the user.
type OAuthExchangeError struct {
	Integration *Integration
	Err         error
}

func (e *OAuthExchangeError) Error() string { return e.Integration.Name + ": " + e.Err.Error() }
func (e *OAuthExchangeError) Unwrap() error { return e.Err }

// StartOAuth begins an authorization on the hosted page (BeginOAuth, with
// the settings the user entered) and returns where the user's browser goes
// to authorize; the provider returns it to callbackURL.
func (s *Service) StartOAuth(ctx context.Context, sess *Session, user *User, slug, callbackURL string, settings map[string]string) (string, error) {
	if s.OAuth2 == nil {
		return "", errors.New("oauth: no OAuth2 client configured")
	}
	integ, state, verifier, err := s.BeginOAuth(ctx, sess, user, slug, settings)
	if err != nil {
		return "", err
	}
	return s.OAuth2.AuthCodeURL(integ, callbackURL, state, verifier), nil
}

// CompleteOAuth exchanges the code of an authorization FinishOAuth
// accepted, with its PKCE verifier, and stores the tokens as the user's
// connection, with the grant's settings (and the account label of the
// integration's verify request). A failed exchange is an
// *OAuthExchangeError.
func (s *Service) CompleteOAuth(ctx context.Context, sess *Session, user *User, grant *OAuthGrant, code, callbackURL string) (*Connection, error) {
	integ := grant.Integration
	if s.OAuth2 == nil {
		return nil, errors.New("oauth: no OAuth2 client configured")
	}
	secret, err := s.OAuth2ClientSecret(integ)
	if err != nil {
		return nil, err
	}
	creds, err := s.OAuth2.Exchange(ctx, integ, secret, callbackURL, code, grant.Verifier, s.Now())
	if err != nil {
		return nil, &OAuthExchangeError{Integration: integ, Err: err}
	}
	// Tokens Portico cannot store (too long, a control character) are the
	// provider's fault, not the user's.
	if _, err := integ.CheckCredentials(creds); err != nil {
		return nil, &OAuthExchangeError{Integration: integ, Err: fmt.Errorf("%w: %v", ErrProviderAnswer, messageOf(err))}
	}
	conn, _, err := s.ConnectForSession(ctx, sess, user, integ.Slug, creds, grant.Settings)
	return conn, err
}
