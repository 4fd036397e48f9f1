package portico

import (
	"context"
	"errors"
)

// LinkStore persists the single-use configuration codes of sessions.
type LinkStore interface {
	// UseConfigCode marks the code with this hash used and returns it with
	// its session, if the code is unused and unexpired at the store's now.
	// It fails with ErrLinkUnknown, ErrLinkUsed or ErrLinkExpired, and
	// marks nothing then; with the last two it still returns the code (its
	// app and session, unmarked), so that the page can say so in the
	// app's colours.
	UseConfigCode(ctx context.Context, hash []byte) (*ConfigCode, error)
	// FindConfigCode is UseConfigCode without marking the code used.
	FindConfigCode(ctx context.Context, hash []byte) (*ConfigCode, error)
}

// Why a configuration link does not open.
var (
	ErrLinkUnknown = &Error{Code: CodeNotFound, Message: "This link is not valid."}
	ErrLinkUsed    = &Error{Code: CodeConflict, Message: "This link has already been used."}
	ErrLinkExpired = &Error{Code: CodeConflict, Message: "This link has expired."}
	// ErrSessionEnded: the session behind a link or a page was revoked or
	// has expired.
	ErrSessionEnded = &Error{Code: CodeInvalidToken, Message: "This session has ended."}
)

// LinkError is a link that was used or has expired, with the session it
// opened (errors.Is matches ErrLinkUsed or ErrLinkExpired through it).
type LinkError struct {
	Err              error
	AppID, SessionID string
}

func (e *LinkError) Error() string { return e.Err.Error() }
func (e *LinkError) Unwrap() error { return e.Err }

// OpenLink exchanges a raw configuration code for its session, once. The
// session must still be active.
func (s *Service) OpenLink(ctx context.Context, rawCode string) (*Session, error) {
	if !TokenHasPrefix(rawCode, PrefixConfigCode) {
		// Hashed and looked up all the same: a malformed code costs what an
		// unknown one does.
		_, err := s.store.UseConfigCode(ctx, HashToken(rawCode))
		if err != nil && !errors.Is(err, ErrLinkUnknown) {
			return nil, err
		}
		return nil, ErrLinkUnknown
	}
	code, err := s.store.UseConfigCode(ctx, HashToken(rawCode))
	if err != nil {
		if code != nil {
			return nil, &LinkError{Err: err, AppID: code.AppID, SessionID: code.SessionID}
		}
		return nil, err
	}
	return s.LiveSession(ctx, code.AppID, code.SessionID)
}

// CheckLink says what OpenLink would of a raw configuration code, without
// using it: a link checker's or a preview's HEAD must not use up the
// user's link, and should still see a dead one as dead.
func (s *Service) CheckLink(ctx context.Context, rawCode string) error {
	code, err := s.store.FindConfigCode(ctx, HashToken(rawCode))
	switch {
	case err != nil && code != nil:
		return &LinkError{Err: err, AppID: code.AppID, SessionID: code.SessionID}
	case err != nil:
		return err
	case !TokenHasPrefix(rawCode, PrefixConfigCode):
		return ErrLinkUnknown
	}
	_, err = s.LiveSession(ctx, code.AppID, code.SessionID)
	return err
}

// OpenToken opens the page with a session token (POST /connect/open) as
// OpenLink does with a link: ErrLinkUnknown for a token Portico never
// issued, ErrSessionEnded for one whose session was revoked or expired.
func (s *Service) OpenToken(ctx context.Context, raw string) (*Session, error) {
	sess, _, err := s.store.FindSessionByTokenHash(ctx, HashToken(raw))
	switch {
	case ErrorCode(err) == CodeNotFound || err == nil && !TokenHasPrefix(raw, PrefixSessionToken):
		return nil, ErrLinkUnknown
	case err != nil:
		return nil, err
	case !sess.Active(s.now()):
		return nil, ErrSessionEnded
	}
	return sess, nil
}

// LiveSession returns a session that is neither revoked nor expired, or
// ErrSessionEnded.
func (s *Service) LiveSession(ctx context.Context, appID, id string) (*Session, error) {
	sess, err := s.store.FindSessionByID(ctx, appID, id)
	if ErrorCode(err) == CodeNotFound {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, err
	}
	if !sess.Active(s.now()) {
		return nil, ErrSessionEnded
	}
	return sess, nil
}
