// Package mindset speaks the wire format of the Mindset AI SDK user
// authentication (docs/compat/mindset.md) over the domain: a backend holding an API
// key trades a user identifier for a session token (the authToken).
package mindset

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// Limits of the Mindset request bodies.
const (
	maxFieldLen    = 100 // name, externalId, userEmail, externalTenantId
	maxAccountUIDs = 10
)

// TenantMetadataKey is the user metadata key that holds the
// externalTenantId of the last authentication that gave one.
const TenantMetadataKey = "externalTenantId"

var externalIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

type handler struct {
	compat.Options
}

// Register mounts the surface's routes. They share no prefix of their
// own, so the server's router answers other paths and methods.
func Register(mount compat.Mount, o compat.Options) {
	h := &handler{o}
	s := compat.NewSurface(mount, o.Logger, envelope)
	s.Handle(http.MethodPost, "/api/v1/appuid/{app_id}/sdkusers/auth", h.handleAuth)
	s.Handle(http.MethodPost, "/api-authenticate-embedded-user", h.handleLegacyAuth)
	s.Fallback(func(r *http.Request, _ string, allow []string) error {
		return portico.Errorf(portico.CodeMethodNotAllowed, "%s is not allowed here; allowed: %s.", r.Method, strings.Join(allow, ", "))
	}, func(r *http.Request) error {
		return portico.Errorf(portico.CodeNotFound, "There is no endpoint at %s.", r.URL.EscapedPath())
	}, "/api/v1/appuid/")
}

// authRequest is the body of POST /api/v1/appuid/{app_id}/sdkusers/auth.
type authRequest struct {
	Name             *string  `json:"name"`
	ExternalID       *string  `json:"externalId"`
	UserEmail        *string  `json:"userEmail"`
	AccountUIDs      []string `json:"accountUids"`
	ExternalTenantID *string  `json:"externalTenantId"`
}

// legacyRequest is the body of POST /api-authenticate-embedded-user.
type legacyRequest struct {
	UserEmail     *string `json:"userEmail"`
	AddToAccounts []struct {
		AccountUID string `json:"accountUid"`
	} `json:"addToAccounts"`
}

type tokenResponse struct {
	AuthToken string `json:"authToken"`
}

func (h *handler) handleAuth(w http.ResponseWriter, r *http.Request) error {
	app, err := h.authenticate(r)
	if err != nil {
		return err
	}
	// A key addresses its own app only; another app's id is unknown to it,
	// as every id of another app is (docs/openapi.json).
	if r.PathValue("app_id") != app.ID {
		return portico.Errorf(portico.CodeNotFound, "App not found: the API key belongs to another app.")
	}
	var in authRequest
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	user, err := in.userInput()
	if err != nil {
		return err
	}
	tok, err := h.issue(r.Context(), app, user, in.ExternalTenantID)
	if err != nil {
		return err
	}
	writeToken(w, http.StatusOK, tok)
	return nil
}

func (h *handler) handleLegacyAuth(w http.ResponseWriter, r *http.Request) error {
	app, err := h.authenticate(r)
	if err != nil {
		return err
	}
	var in legacyRequest
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.UserEmail == nil {
		return portico.Invalid("userEmail", "userEmail is required.")
	}
	req := authRequest{UserEmail: in.UserEmail}
	for _, a := range in.AddToAccounts {
		req.AccountUIDs = append(req.AccountUIDs, a.AccountUID)
	}
	user, err := req.userInput()
	if err != nil {
		return err
	}
	tok, err := h.issue(r.Context(), app, user, nil)
	if err != nil {
		return err
	}
	writeToken(w, http.StatusCreated, tok)
	return nil
}

// authenticate checks the x-api-key header under the server's rate limits.
func (h *handler) authenticate(r *http.Request) (*portico.App, error) {
	if err := compat.OneCredential(r, portico.CodeInvalidAPIKey, "x-api-key"); err != nil {
		return nil, err
	}
	key := strings.TrimSpace(r.Header.Get("x-api-key"))
	app, err := h.Authenticate(r, key)
	if err != nil && key == "" && portico.ErrorCode(err) == portico.CodeUnauthenticated {
		return nil, portico.Errorf(portico.CodeUnauthenticated, "An API key is required in the x-api-key header.")
	}
	return app, err
}

// userInput checks the request the way Mindset documents it and turns it
// into the user to find or create. The checks come first so that nothing
// (accounts included) is written for a request that is refused.
func (in *authRequest) userInput() (portico.UserInput, error) {
	var u portico.UserInput
	switch {
	case in.ExternalID == nil && in.UserEmail == nil:
		return u, portico.Invalid("externalId", "Provide exactly one of externalId and userEmail; neither was given.")
	case in.ExternalID != nil && in.UserEmail != nil:
		return u, portico.Invalid("externalId", "Provide exactly one of externalId and userEmail, not both.")
	case in.ExternalID != nil:
		if !externalIDRe.MatchString(*in.ExternalID) {
			return u, portico.Invalid("externalId", "externalId must be 1 to %d characters of A-Z, a-z, 0-9, _ and -.", maxFieldLen)
		}
		u.ExternalID = in.ExternalID
	default:
		if utf8.RuneCountInString(*in.UserEmail) > maxFieldLen {
			return u, portico.Invalid("userEmail", "userEmail must be at most %d characters.", maxFieldLen)
		}
		e, err := portico.NormalizeEmail(*in.UserEmail)
		if err != nil {
			return u, portico.Invalid("userEmail", "userEmail must be an address such as ann@example.com.")
		}
		u.Email = &e
	}
	if in.Name != nil {
		if !isText(*in.Name) {
			return u, portico.Invalid("name", "name must be at most %d characters of text.", maxFieldLen)
		}
		u.Name = *in.Name
	}
	if in.ExternalTenantID != nil {
		if *in.ExternalTenantID == "" || !isText(*in.ExternalTenantID) {
			return u, portico.Invalid("externalTenantId", "externalTenantId must be 1 to %d characters of text.", maxFieldLen)
		}
		md, _ := json.Marshal(map[string]string{TenantMetadataKey: *in.ExternalTenantID})
		u.Metadata = md
	}
	if len(in.AccountUIDs) > maxAccountUIDs {
		return u, portico.Invalid("accountUids", "At most %d accountUids.", maxAccountUIDs)
	}
	ids, err := portico.NormalizeAccountIDs(in.AccountUIDs)
	if err != nil {
		return u, portico.Invalid("accountUids", "Each accountUid is 1 to 128 characters of A-Z, a-z, 0-9, _ and -.")
	}
	u.AccountIDs, u.CreateAccounts = ids, len(ids) > 0
	return u, nil
}

// isText accepts at most maxFieldLen characters of text, by the domain's
// rule of what text may not hold.
func isText(s string) bool {
	return utf8.RuneCountInString(s) <= maxFieldLen && utf8.ValidString(s) && !portico.HasControl(s)
}

// issue creates a session with the app's default TTL, whose token is the
// authToken; the user, and the accounts it joins (Mindset creates missing
// ones), are found or created in the session's transaction. A found user
// keeps its metadata on find-or-create; the tenant it is now authenticated
// for is recorded after, checked first so that a refused tenant writes
// nothing.
func (h *handler) issue(ctx context.Context, app *portico.App, user portico.UserInput, tenant *string) (string, error) {
	if tenant != nil {
		found, err := h.Service.FindInputUser(ctx, app.ID, user)
		if err != nil {
			return "", err
		}
		if found != nil {
			if _, err := withTenant(found.Metadata, *tenant); err != nil {
				return "", err
			}
		}
	}
	cs, err := h.Service.CreateSession(ctx, app, portico.SessionInput{User: user})
	if err != nil {
		return "", err
	}
	if tenant != nil && tenantOf(cs.User.Metadata) != *tenant {
		md, err := withTenant(cs.User.Metadata, *tenant)
		if err != nil {
			return "", err
		}
		if _, err := h.Service.UpdateUser(ctx, app.ID, cs.User.ID, portico.UserUpdate{Metadata: md}); err != nil {
			return "", err
		}
	}
	return cs.Token, nil
}

// withTenant is the metadata md with the tenant recorded, refused when it
// would pass the metadata's size limit.
func withTenant(md json.RawMessage, tenant string) (json.RawMessage, error) {
	m := map[string]json.RawMessage{}
	if len(md) > 0 {
		if err := json.Unmarshal(md, &m); err != nil {
			return nil, err
		}
	}
	m[TenantMetadataKey], _ = json.Marshal(tenant)
	b, _ := json.Marshal(m)
	if len(b) > portico.MaxMetadataSize {
		return nil, portico.Invalid("externalTenantId", "externalTenantId does not fit: the user's metadata would pass %d bytes.", portico.MaxMetadataSize)
	}
	return b, nil
}

func tenantOf(md json.RawMessage) string {
	var v map[string]any
	if json.Unmarshal(md, &v) != nil {
		return ""
	}
	s, _ := v[TenantMetadataKey].(string)
	return s
}

func writeToken(w http.ResponseWriter, status int, token string) {
	w.Header().Set("Cache-Control", "no-store")
	compat.WriteJSON(w, status, tokenResponse{AuthToken: token})
}

// decodeBody reads a JSON object into v with the project's strict rules
// (jsonbody). The Content-Type is not checked: Mindset's examples differ in
// what they send.
func decodeBody(r *http.Request, v any) error {
	body, err := jsonbody.Read(r, false, false)
	if err != nil {
		return err
	}
	return jsonbody.Decode(body, v)
}

// errorBody is Mindset's error shape: the status text and a message.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// statusOf translates domain codes to Mindset's statuses. Mindset answers
// 400 to every invalid body, and 403 to a key it does not accept.
var statusOf = map[portico.Code]int{
	portico.CodeInvalid:              http.StatusBadRequest,
	portico.CodeValidation:           http.StatusBadRequest,
	portico.CodeUnauthenticated:      http.StatusUnauthorized,
	portico.CodeInvalidAPIKey:        http.StatusForbidden,
	portico.CodeForbidden:            http.StatusForbidden,
	portico.CodeQuotaExceeded:        http.StatusPaymentRequired,
	portico.CodeNotFound:             http.StatusNotFound,
	portico.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	portico.CodeConflict:             http.StatusConflict,
	portico.CodeSessionLimitReached:  http.StatusConflict,
	portico.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	portico.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	portico.CodeRateLimited:          http.StatusTooManyRequests,
	portico.CodeUnavailable:          http.StatusServiceUnavailable,
}

// envelope renders an error as {"error","message"}.
func envelope(_ *http.Request, err error) (int, any) {
	status, msg := compat.Translate(statusOf, http.StatusInternalServerError, err)
	return status, errorBody{Error: http.StatusText(status), Message: msg}
}
