// Package humanapi speaks the wire format of the Human API Connect token
// endpoint (docs/compat/humanapi.md), POST /v1/connect/token, over the domain: a
// backend trades its client credentials and its user id for a session token
// (a new user) or an id token (a user who has connected something).
package humanapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"regexp"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// Token lifetimes as Human API documents them; an app whose
// max_session_ttl_seconds is shorter gets that instead.
const (
	sessionTokenTTL = 3600
	idTokenTTL      = 86400
)

type handler struct {
	compat.Options
}

// Register mounts the surface's route; its other methods get this
// surface's 405 rather than the native one.
func Register(mount compat.Mount, o compat.Options) {
	h := &handler{o}
	s := compat.NewSurface(mount, o.Logger, envelope)
	s.Handle(http.MethodPost, "/v1/connect/token", h.token)
	s.Fallback(func(r *http.Request, _ string, _ []string) error {
		return &apiError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method + " is not allowed here; use POST."}
	}, nil)
}

// tokenRequest is the body of POST /v1/connect/token.
type tokenRequest struct {
	ClientID        string  `json:"client_id"`
	ClientSecret    string  `json:"client_secret"`
	ClientUserID    *string `json:"client_user_id"`
	ClientUserEmail *string `json:"client_user_email"`
	Type            string  `json:"type"`
}

type sessionTokenResponse struct {
	SessionToken string `json:"session_token"`
	HumanID      string `json:"human_id"`
	ExpiresIn    int    `json:"expires_in"`
}

type idTokenResponse struct {
	TokenType        string `json:"token_type"`
	IDToken          string `json:"id_token"`
	IDRefreshToken   string `json:"id_refresh_token"`
	IDTokenExpiresIn int    `json:"id_token_expires_in"`
}

// apiError is an error in Human API's vocabulary.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

var (
	errInvalidClientID = &apiError{http.StatusUnauthorized, "INVALID_CLIENT_ID", "Invalid client_id: send the app id."}
	errInvalidClient   = &apiError{http.StatusUnauthorized, "INVALID_CLIENT_ID_OR_SECRET", "Invalid client_id or client_secret."}
	errTokenType       = &apiError{http.StatusBadRequest, "INVALID_TOKEN_TYPE", `The token type is invalid: send type "session" or type "id".`}
	errClientTokens    = &apiError{http.StatusForbidden, "CLIENT_TOKEN_GENERATION_NOT_ALLOWED", "This client_id is not allowed to generate client tokens."}
	errSessionTokens   = &apiError{http.StatusForbidden, "CLIENT_TOKEN_GENERATION_NOT_ALLOWED", "This client_id is not allowed to generate session tokens."}
	errIDTokens        = &apiError{http.StatusForbidden, "ID_TOKEN_GENERATION_NOT_ALLOWED", "This client_id is not allowed to generate id tokens."}
	errSessionWindow   = &apiError{http.StatusForbidden, "SESSION_TOKEN_GENERATION_NOT_ALLOWED", `The user has already connected a source: request type "id" instead.`}
	errUnknownUser     = &apiError{http.StatusNotFound, "UNKNOWN_CLIENT_USER_ID", "Unknown client_user_id: id tokens are for users who have connected a source."}
)

// appIDRe is the shape of an app id; anything else cannot be a client_id.
var appIDRe = regexp.MustCompile(`^` + portico.PrefixApp + `[a-z2-7]{26}$`)

func (h *handler) token(w http.ResponseWriter, r *http.Request) error {
	var in tokenRequest
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	app, err := h.authenticate(r, in.ClientID, in.ClientSecret)
	if err != nil {
		return err
	}
	switch in.Type {
	case "session":
		if !app.Settings.ConnectSessionTokens {
			return errSessionTokens
		}
	case "id":
		if !app.Settings.ConnectIDTokens {
			return errIDTokens
		}
	case "client":
		// Human API's third type: Portico issues no client tokens.
		return errClientTokens
	default:
		return errTokenType
	}
	user, err := userInput(in)
	if err != nil {
		return err
	}
	ctx := r.Context()
	found, err := h.findUser(ctx, app.ID, *user.ExternalID)
	if err != nil {
		return err
	}
	connected := false
	if found != nil {
		if connected, err = h.hasConnection(ctx, app.ID, found.ID); err != nil {
			return err
		}
	}
	if in.Type == "session" {
		if connected {
			return errSessionWindow
		}
		ttl := min(sessionTokenTTL, app.Settings.MaxSessionTTLSeconds)
		cs, err := h.Service.CreateSession(ctx, app, portico.SessionInput{User: user, TTLSeconds: &ttl})
		if err != nil {
			return err
		}
		humanID, err := h.Service.HumanID(ctx, app.ID, cs.User.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, sessionTokenResponse{SessionToken: cs.Token, HumanID: humanID, ExpiresIn: ttl})
		return nil
	}
	if !connected {
		return errUnknownUser
	}
	// An id token is the token of a refreshable session; its refresh token
	// works with POST /v1/tokens/refresh.
	ttl := min(idTokenTTL, app.Settings.MaxSessionTTLSeconds)
	cs, err := h.Service.CreateSession(ctx, app, portico.SessionInput{User: portico.UserInput{ExternalID: user.ExternalID}, TTLSeconds: &ttl, Refreshable: true})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, idTokenResponse{TokenType: "Bearer", IDToken: cs.Token, IDRefreshToken: cs.RefreshToken, IDTokenExpiresIn: ttl})
	return nil
}

// authenticate checks client_secret as an API key under the server's rate
// limits, and that client_id names its app.
func (h *handler) authenticate(r *http.Request, clientID, secret string) (*portico.App, error) {
	if !appIDRe.MatchString(clientID) {
		// Counted against the client's failure budget like a bad key.
		if _, err := h.Authenticate(r, ""); portico.ErrorCode(err) == portico.CodeRateLimited {
			return nil, err
		}
		return nil, errInvalidClientID
	}
	app, err := h.Authenticate(r, secret)
	switch portico.ErrorCode(err) {
	case "":
	case portico.CodeUnauthenticated, portico.CodeInvalidAPIKey:
		return nil, errInvalidClient
	default:
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(clientID), []byte(app.ID)) != 1 {
		return nil, errInvalidClient
	}
	return app, nil
}

// userInput checks client_user_id (any text of 1 to 255 bytes, used as the
// user's external id) and the optional client_user_email, which is stored
// only when the user is created.
func userInput(in tokenRequest) (portico.UserInput, error) {
	var u portico.UserInput
	if in.ClientUserID == nil {
		return u, portico.Invalid("client_user_id", "client_user_id is required.")
	}
	if err := portico.CheckExternalID(*in.ClientUserID); err != nil {
		return u, portico.Invalid("client_user_id", "client_user_id must be 1 to %d bytes of text without control characters.", portico.MaxExternalIDLen)
	}
	u.ExternalID = in.ClientUserID
	if in.ClientUserEmail != nil {
		e, err := portico.NormalizeEmail(*in.ClientUserEmail)
		if err != nil {
			return u, portico.Invalid("client_user_email", "client_user_email must be an address such as ann@example.com.")
		}
		u.Email = &e
	}
	return u, nil
}

// findUser returns the user with this external id, or nil.
func (h *handler) findUser(ctx context.Context, appID, externalID string) (*portico.User, error) {
	page, err := h.Service.ListUsers(ctx, appID, portico.UserFilter{ExternalID: &externalID}, portico.PageRequest{Size: 1})
	if err != nil || len(page.Data) == 0 {
		return nil, err
	}
	return &page.Data[0], nil
}

// hasConnection reports whether the user has a connection that is not
// revoked: a connected source, even an expired or failing one, closes the
// session-token window as Human API's does; revoking every connection
// opens it again.
func (h *handler) hasConnection(ctx context.Context, appID, userID string) (bool, error) {
	req := portico.PageRequest{Size: portico.MaxPageSize}
	for {
		page, err := h.Service.ListConnections(ctx, appID, portico.ConnectionFilter{UserID: &userID}, req)
		if err != nil {
			return false, err
		}
		for _, c := range page.Data {
			if c.Status != portico.StatusRevoked {
				return true, nil
			}
		}
		if page.Next == nil {
			return false, nil
		}
		req.Token = *page.Next
	}
}

// decodeBody reads the JSON body into v with the project's strict rules
// (jsonbody). The Content-Type is not checked, as Human API's own samples
// may omit it.
func decodeBody(r *http.Request, v any) error {
	body, err := jsonbody.Read(r, false, false)
	if err != nil {
		return err
	}
	return jsonbody.Decode(body, v)
}

// fromDomain maps a domain error to Human API's vocabulary. The app's
// limits (max_users, a session limit with the reject policy) are
// NOT_AUTHORIZED: the client may not do this now.
func fromDomain(err error) *apiError {
	e := portico.AsError(err)
	switch e.Code {
	case portico.CodeInvalid, portico.CodeValidation:
		return &apiError{http.StatusBadRequest, "INVALID_REQUEST", e.Message}
	case portico.CodeQuotaExceeded, portico.CodeSessionLimitReached, portico.CodeForbidden:
		return &apiError{http.StatusForbidden, "NOT_AUTHORIZED", e.Message}
	case portico.CodePayloadTooLarge:
		return &apiError{http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", e.Message}
	case portico.CodeUnsupportedMediaType:
		return &apiError{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", e.Message}
	case portico.CodeRateLimited:
		return &apiError{http.StatusTooManyRequests, "RATE_LIMITED", e.Message}
	case portico.CodeUnavailable:
		return &apiError{http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The service is unavailable; retry shortly."}
	}
	return &apiError{http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error."}
}

// envelope renders an error as {"statusCode","errorCode","message"}.
func envelope(_ *http.Request, err error) (int, any) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = fromDomain(err)
	}
	return ae.status, struct {
		StatusCode int    `json:"statusCode"`
		ErrorCode  string `json:"errorCode"`
		Message    string `json:"message"`
	}{ae.status, ae.code, ae.message}
}

// writeJSON answers with v; tokens are in every answer, none is for a cache.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	compat.WriteJSON(w, status, v)
}
