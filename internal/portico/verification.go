package portico

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// User verification (docs/identity.md): when an app sets
// user_verification_url, a configuration link opened in a browser shows
// nothing until the app, which knows who is logged in to it in that
// browser, confirms that this is the link's user. The hosted page sends
// the browser to the app with ?flow=<id>; the app calls
// POST /v1/verifications/{flow}/confirm naming its logged-in user and
// sends the browser to the return_to of the answer. That URL carries a
// one-time code, so only the browser the app confirmed comes back in: a
// link forwarded to someone else ends in a failed flow and a
// session.verification_failed event, never in a page.

// PrefixVerification starts every verification flow id; PrefixReturnCode
// the one-time code of a confirmed flow's return URL.
const (
	PrefixVerification = "vfl_"
	PrefixReturnCode   = "pvr_"
)

// VerificationTTL is how long a flow waits for the app and the browser.
const VerificationTTL = 10 * time.Minute

// Verification flow statuses.
const (
	VerificationPending   = "pending"
	VerificationConfirmed = "confirmed"
	VerificationFailed    = "failed"
	VerificationUsed      = "used"
)

// EventSessionVerificationFailed: the app confirmed a flow with another
// user than the link's, or the flow's session had ended (docs/webhooks.md).
const EventSessionVerificationFailed = "session.verification_failed"

// Verification is one flow: the session whose link was opened, waiting
// for the app's confirmation.
type Verification struct {
	ID    string
	AppID string
	// Kind is FlowLink (a link of SessionID, for its UserID) or
	// FlowAuthorize (a sign-in of the authorization server: UserID is ""
	// until the app names the user, Request the authorization).
	Kind      string
	SessionID string
	UserID    string
	Status    string
	Request   json.RawMessage
	CreatedAt time.Time
	ExpiresAt time.Time
}

// VerificationStore persists verification flows.
type VerificationStore interface {
	// CreateVerification inserts a pending flow.
	CreateVerification(ctx context.Context, v *Verification) error
	// FindVerification returns one of the app's flows (CodeNotFound).
	FindVerification(ctx context.Context, appID, id string) (*Verification, error)
	// SettleVerification moves a flow that is pending and unexpired at now
	// to status, for userID: VerificationConfirmed with returnHash, or
	// VerificationFailed, which queues the session.verification_failed
	// event of failure in the same transaction. It
	// reports false, changing nothing, when the flow was no longer
	// pending.
	SettleVerification(ctx context.Context, appID, id, status, userID string, returnHash []byte, now time.Time, failure *VerificationFailure) (bool, error)
	// UseReturnCode marks the confirmed flow whose return code hashes to
	// hash used and returns it: ErrLinkUnknown, ErrLinkUsed or
	// ErrLinkExpired otherwise, marking nothing.
	UseReturnCode(ctx context.Context, hash []byte, now time.Time) (*Verification, error)
	// PurgeVerifications deletes up to batch flows that expired before the
	// given instant. Deployment-wide, like PurgeSessions.
	PurgeVerifications(ctx context.Context, before time.Time, batch int) (int, error)
}

// ErrFlowGone answers a confirmation of a flow that was confirmed, failed
// or used already, or has expired.
var ErrFlowGone = &Error{Code: CodeGone, Message: "This verification flow has ended (it expired, or was confirmed or refused already); the user opens a new link."}

// Verifies reports whether the app verifies who opens its links.
func (s AppSettings) Verifies() bool { return s.UserVerificationURL != "" }

// StartVerification opens a flow for a link of sess just opened in a
// browser, and returns the URL to send that browser to: the app's
// user_verification_url with ?flow=<id>. approvalID, when not "", is the
// approval the page shows first once the app confirmed the user.
func (s *Service) StartVerification(ctx context.Context, app *App, sess *Session, approvalID string) (string, error) {
	now := s.now()
	req, err := json.Marshal(linkRequest{Approval: approvalID})
	if err != nil {
		return "", err
	}
	v := &Verification{ID: NewID(PrefixVerification), AppID: app.ID, Kind: FlowLink, SessionID: sess.ID, UserID: sess.UserID,
		Status: VerificationPending, Request: req, CreatedAt: now, ExpiresAt: now.Add(VerificationTTL)}
	if err := s.store.CreateVerification(ctx, v); err != nil {
		return "", err
	}
	return s.verifierURL(app, v.ID)
}

// linkRequest is what a FlowLink keeps for the page it opens once the app
// confirmed the user: the approval the link named, shown first.
type linkRequest struct {
	Approval string `json:"approval,omitempty"`
}

// LinkApproval is the approval a FlowLink's link named ("" for none).
func (v *Verification) LinkApproval() string {
	var req linkRequest
	if v.Kind != FlowLink || json.Unmarshal(v.Request, &req) != nil {
		return ""
	}
	return req.Approval
}

// verifierURL is the app's user_verification_url with ?flow=id.
func (s *Service) verifierURL(app *App, id string) (string, error) {
	u, err := url.Parse(app.Settings.UserVerificationURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("flow", id)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// VerificationMismatch refuses a confirmation that names another user
// than the link's: the flow has ended.
var VerificationMismatch = &Error{Code: CodeForbidden, Message: "This link was made for another user than the one confirmed: the flow has ended and nothing was shown; the app sent session.verification_failed.",
	Details: map[string]any{"reason": "user_mismatch"}}

// ConfirmVerification settles a flow of app with the user the app says is
// logged in to it, named once as everywhere (a value no user can have is
// refused and leaves the flow open): the flow's user → the URL to send the
// browser back to (single use, until the flow expires); another user, or
// one the app does not have → VerificationMismatch, the flow failed and
// session.verification_failed queued. CodeNotFound for an unknown flow or
// one of another app; ErrFlowGone for one already settled or expired, or
// whose session has ended (which also fails it).
func (s *Service) ConfirmVerification(ctx context.Context, app *App, id string, ref UserRef) (string, error) {
	if err := ref.check(); err != nil {
		return "", err
	}
	v, err := s.store.FindVerification(ctx, app.ID, id)
	if err != nil {
		return "", err
	}
	now := s.now()
	if v.Status != VerificationPending || !now.Before(v.ExpiresAt) {
		return "", ErrFlowGone
	}
	if v.Kind == FlowAuthorize {
		return s.confirmSignIn(ctx, app, v, ref)
	}
	sess, err := s.store.FindSessionByID(ctx, app.ID, v.SessionID)
	if ErrorCode(err) == CodeNotFound {
		return "", ErrFlowGone
	}
	if err != nil {
		return "", err
	}
	if !sess.Active(now) {
		if _, err := s.store.SettleVerification(ctx, app.ID, id, VerificationFailed, v.UserID, nil, now,
			verificationEvent(sess, v, "session_ended", ref)); err != nil {
			return "", err
		}
		return "", ErrFlowGone
	}
	user, err := s.store.FindUserByID(ctx, app.ID, v.UserID)
	if err != nil && ErrorCode(err) != CodeNotFound {
		return "", err
	}
	if user == nil || !ref.names(user) {
		ok, err := s.store.SettleVerification(ctx, app.ID, id, VerificationFailed, v.UserID, nil, now, verificationEvent(sess, v, "user_mismatch", ref))
		if err != nil {
			return "", err
		}
		if !ok {
			return "", ErrFlowGone
		}
		return "", VerificationMismatch
	}
	return s.confirmFlow(ctx, app, v, v.UserID)
}

// names reports whether r, checked, names u: by id, by external id, or by
// email whether or not u has an external id.
func (r UserRef) names(u *User) bool {
	switch {
	case r.ID != nil:
		return *r.ID == u.ID
	case r.ExternalID != nil:
		return u.ExternalID != nil && *r.ExternalID == *u.ExternalID
	default:
		return u.Email != nil && *r.Email == *u.Email
	}
}

// confirmFlow settles a flow for userID and returns its return URL.
func (s *Service) confirmFlow(ctx context.Context, app *App, v *Verification, userID string) (string, error) {
	raw, hash := NewToken(PrefixReturnCode)
	ok, err := s.store.SettleVerification(ctx, app.ID, v.ID, VerificationConfirmed, userID, hash, s.now(), nil)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrFlowGone
	}
	return s.PublicURL + "/connect/verified/" + url.PathEscape(raw), nil
}

// confirmSignIn settles a sign-in flow of the authorization server: the
// user the app names signs in, found or created like a session's user
// (an id must name an existing user).
func (s *Service) confirmSignIn(ctx context.Context, app *App, v *Verification, ref UserRef) (string, error) {
	var user *User
	var err error
	if ref.ID != nil {
		user, err = s.store.FindUserByID(ctx, app.ID, *ref.ID)
	} else {
		user, _, err = s.FindOrCreateUser(ctx, app.ID, UserInput{ExternalID: ref.ExternalID, Email: ref.Email, RefuseHeldEmail: true})
	}
	if err != nil {
		return "", withField(err, "user")
	}
	return s.confirmFlow(ctx, app, v, user.ID)
}

// VerificationFailure is what session.verification_failed says: the
// session, the flow, why it failed and the user the app named.
type VerificationFailure struct {
	Session       *Session
	FlowID        string
	Reason        string
	ConfirmedUser map[string]any
}

// verificationEvent is the failure of flow v of sess for reason, the app
// having named ref.
func verificationEvent(sess *Session, v *Verification, reason string, ref UserRef) *VerificationFailure {
	named := map[string]any{}
	if ref.ID != nil {
		named["id"] = *ref.ID
	}
	if ref.ExternalID != nil {
		named["external_id"] = *ref.ExternalID
	}
	if ref.Email != nil {
		named["email"] = *ref.Email
	}
	return &VerificationFailure{Session: sess, FlowID: v.ID, Reason: reason, ConfirmedUser: named}
}

// FinishVerification takes the return code of a confirmed flow, once, and
// returns the flow with, for a link, its session, which must still be
// live (ErrSessionEnded); a sign-in has none.
func (s *Service) FinishVerification(ctx context.Context, rawCode string) (*Verification, *Session, error) {
	v, err := s.store.UseReturnCode(ctx, HashToken(rawCode), s.now())
	if err != nil || v.Kind == FlowAuthorize {
		return v, nil, err
	}
	sess, err := s.LiveSession(ctx, v.AppID, v.SessionID)
	return v, sess, err
}

// PurgeVerifications deletes up to batch flows that expired a day ago or
// more.
func (s *Service) PurgeVerifications(ctx context.Context, batch int) (int, error) {
	return s.store.PurgeVerifications(ctx, s.now().Add(-24*time.Hour), batch)
}
