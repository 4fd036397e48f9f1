package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/porticohq/portico/api"
)

// WithSessionToken authenticates as an end user with a session token, for
// the client-side calls (Me). A session token is not an API key: calls that
// need the app's key answer 401 invalid_api_key with it.
func WithSessionToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// CreateSession creates a session for the user s.User identifies (found or
// created). The answer holds the session token (and refresh token when
// s.Refreshable) — shown only here — and a single-use configuration URL.
func (c *Client) CreateSession(ctx context.Context, s api.SessionCreate) (*api.SessionCreated, error) {
	var out api.SessionCreated
	if _, err := c.do(ctx, http.MethodPost, "/v1/sessions", nil, s, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessionsParams narrows and pages ListSessions. Empty fields do not
// filter.
type ListSessionsParams struct {
	// UserID selects the sessions of the user with this Portico id.
	UserID string
	// ExternalUserID selects the sessions of the user with this external id.
	ExternalUserID string
	// PageSize is the number of sessions per page (1–100; 0: 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// ListSessions returns one page of active sessions (neither expired nor
// revoked), oldest first.
func (c *Client) ListSessions(ctx context.Context, p ListSessionsParams) (*api.List[api.Session], error) {
	q := url.Values{}
	if p.UserID != "" {
		q.Set("user_id", p.UserID)
	}
	if p.ExternalUserID != "" {
		q.Set("external_user_id", p.ExternalUserID)
	}
	var out api.List[api.Session]
	if _, err := c.do(ctx, http.MethodGet, "/v1/sessions", pageQuery(q, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSession returns a session that has not been revoked (404 not_found
// otherwise; an expired session is shown until it is purged).
func (c *Client) GetSession(ctx context.Context, id string) (*api.Session, error) {
	var out api.Session
	if _, err := c.do(ctx, http.MethodGet, "/v1/sessions/"+escape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeSession ends a session at once: its token, refresh token and
// configuration URLs stop working on every node.
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/sessions/"+escape(id), nil, nil, nil)
	return err
}

// ExtendSession sets the session's expiry to now + ttlSeconds, within the
// app's max_session_ttl_seconds from the session's creation (422
// validation_failed beyond it).
func (c *Client) ExtendSession(ctx context.Context, id string, ttlSeconds int) (*api.Session, error) {
	var out api.Session
	if _, err := c.do(ctx, http.MethodPost, "/v1/sessions/"+escape(id)+"/extend", nil, api.SessionExtend{TTLSeconds: ttlSeconds}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NewConfigurationURL issues a fresh single-use configuration URL for an
// active session.
func (c *Client) NewConfigurationURL(ctx context.Context, sessionID string) (*api.ConfigurationURL, error) {
	var out api.ConfigurationURL
	if _, err := c.do(ctx, http.MethodPost, "/v1/sessions/"+escape(sessionID)+"/configuration_url", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeUserSessions signs a user out everywhere and returns how many
// active sessions it ended.
func (c *Client) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	var out api.Revoked
	if _, err := c.do(ctx, http.MethodDelete, "/v1/users/"+escape(userID)+"/sessions", nil, nil, &out); err != nil {
		return 0, err
	}
	return out.Revoked, nil
}

// RefreshToken rotates a refreshable session's token and refresh token.
// Presenting a refresh token that was already rotated revokes the session
// (401 invalid_token): refresh from one place at a time.
func (c *Client) RefreshToken(ctx context.Context, refreshToken string) (*api.TokenRefreshed, error) {
	var out api.TokenRefreshed
	if _, err := c.do(ctx, http.MethodPost, "/v1/tokens/refresh", nil, api.TokenRefresh{RefreshToken: refreshToken}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Me validates the client's session token and returns its user and
// session. Use a client made WithSessionToken.
func (c *Client) Me(ctx context.Context) (*api.Me, error) {
	var out api.Me
	if _, err := c.do(ctx, http.MethodGet, "/v1/me", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConfirmVerification names the user logged in to the app in the browser
// that brought ?flow= to the app's user_verification_url
// (docs/identity.md), and returns where to send that browser. Another
// user is a 403 forbidden that ends the flow; a flow already settled, or
// expired, is a 410 gone.
func (c *Client) ConfirmVerification(ctx context.Context, flow string, user api.PerformUser) (string, error) {
	var out api.VerificationConfirmed
	if _, err := c.do(ctx, http.MethodPost, "/v1/verifications/"+escape(flow)+"/confirm", nil, api.VerificationConfirm{User: user}, &out); err != nil {
		return "", err
	}
	return out.ReturnTo, nil
}
