package portico

import (
	"context"
	"hash/fnv"
	"time"
)

// This file serves callers that know a user only by its external id and
// ask, again and again, for a link to the hosted page or for the state of
// one integration: the Superface Hub surface (docs/compat/superface.md) is built on it.

// UserConfigLink returns a fresh configuration URL for the user with this
// external id, creating the user when there is none, and how long the URL
// stays valid. It issues a new code for the user's newest active session
// that shows every integration and lives at least as long as the URL;
// only without one does it create a session (with the app's defaults).
// Reusing keeps a caller that asks for a link on every turn from filling
// the user's session limit (and, with the reject policy, from failing with
// CodeSessionLimitReached). Errors: CodeValidation for an unusable
// external id, CodeQuotaExceeded and CodeSessionLimitReached from the
// session's creation.
func (s *Service) UserConfigLink(ctx context.Context, app *App, externalID string, ret ReturnLink) (ConfigLink, time.Duration, error) {
	if err := CheckExternalID(externalID); err != nil {
		return ConfigLink{}, 0, err
	}
	ret = ret.Clean()
	release, err := s.userTurn(ctx, app.ID, UserRef{ExternalID: &externalID})
	if err != nil {
		return ConfigLink{}, 0, err
	}
	defer release()
	now := s.now()
	link, ok, err := s.reuseSession(ctx, app, externalID, now, ret)
	if err != nil || ok {
		return link, link.ExpiresAt.Sub(now), err
	}
	created, err := s.CreateSession(ctx, app, SessionInput{User: UserInput{ExternalID: &externalID}, Return: ret})
	if ErrorCode(err) == CodeSessionLimitReached {
		// A concurrent call may have just made the session this one
		// would reuse, and filled the limit with it.
		if link, ok, err := s.reuseSession(ctx, app, externalID, now, ret); err != nil || ok {
			return link, link.ExpiresAt.Sub(now), err
		}
	}
	if err != nil {
		return ConfigLink{}, 0, err
	}
	return created.Link, created.Link.ExpiresAt.Sub(now), nil
}

// userTurn waits for the turn of the user ref names among the calls of
// this node that may create a session for them only to hand out its link
// (UserConfigLink, and perform's links), and returns its release. Taking
// turns, each call after the first finds the session the first made and
// reuses it: concurrent calls that each created one would evict each
// other's sessions under a session limit, and hand out links dead at once,
// or be refused by the limit. A user is known by external id, else email,
// else id; users share 64 turns.
func (s *Service) userTurn(ctx context.Context, appID string, ref UserRef) (release func(), err error) {
	key := "i" + deref(ref.ID)
	switch {
	case ref.ExternalID != nil:
		key = "x" + *ref.ExternalID
	case ref.Email != nil:
		key = "e" + *ref.Email
	}
	h := fnv.New32a()
	h.Write([]byte(appID + "\x00" + key))
	slot := s.userLinks[h.Sum32()%uint32(len(s.userLinks))]
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// reuseSession issues a configuration URL for the user's reusable session,
// which takes the caller's return link; ok is false when there is none.
func (s *Service) reuseSession(ctx context.Context, app *App, externalID string, now time.Time, ret ReturnLink) (ConfigLink, bool, error) {
	sess, err := s.reusableSession(ctx, app, externalID, now)
	if err != nil || sess == nil {
		return ConfigLink{}, false, err
	}
	if sess.Return != ret {
		if err := s.store.SetSessionReturn(ctx, app.ID, sess.ID, ret); err != nil {
			return ConfigLink{}, false, err
		}
	}
	_, link, err := s.NewConfigLink(ctx, app, sess.ID)
	// The session may have been revoked or expired since it was listed:
	// a new one serves as well.
	switch ErrorCode(err) {
	case "":
		return link, true, nil
	case CodeNotFound, CodeConflict:
		return ConfigLink{}, false, nil
	}
	return ConfigLink{}, false, err
}

// reusableSession returns the newest active session of the user keyed by
// externalID that shows every integration and outlives a new
// configuration URL, or nil.
func (s *Service) reusableSession(ctx context.Context, app *App, externalID string, now time.Time) (*Session, error) {
	user, err := s.userByExternalID(ctx, app.ID, externalID)
	if err != nil || user == nil {
		return nil, err
	}
	minEnd := now.Add(Seconds(int64(app.Settings.ConfigurationURLTTLSeconds)))
	return s.store.NewestActiveSession(ctx, app.ID, user.ID, now, func(sess *Session) (bool, error) {
		st, err := SessionSettingsOf(sess)
		// A session narrowed to some integrations, or made for a
		// sandbox or an isolated page, was made for another purpose:
		// its page would not show everything.
		return len(st.Integrations) == 0 && len(st.Categories) == 0 && !st.IsolationMode && !st.SandboxMode &&
			!sess.ExpiresAt.Before(minEnd), err
	})
}

// userByExternalID returns the user keyed by externalID, or nil.
func (s *Service) userByExternalID(ctx context.Context, appID, externalID string) (*User, error) {
	user, _, err := s.lookupUser(ctx, appID, UserRef{ExternalID: &externalID})
	return user, err
}

// IntegrationConnected reports whether the user keyed by externalID can
// use the integration now: it needs no credential, or the user's
// connection to it is connected. An unknown user has no connection and is
// not created. An integration restricted to accounts the user is not in
// is CodeNotFound, as if it did not exist.
func (s *Service) IntegrationConnected(ctx context.Context, appID, externalID, slug string) (*Integration, bool, error) {
	integ, err := s.FindIntegration(ctx, appID, slug)
	if err != nil {
		return nil, false, err
	}
	user, err := s.userByExternalID(ctx, appID, externalID)
	if err != nil {
		return nil, false, err
	}
	if !integ.VisibleTo(user) {
		return nil, false, NotFound("Integration")
	}
	ok, err := s.Connectable(ctx, appID, user, integ)
	if err != nil {
		return nil, false, err
	}
	return integ, ok, nil
}

// Connectable reports whether the user can use the integration now: it
// takes no credentials, or the user's connection to it is connected (user
// nil: a user the app does not have yet).
func (s *Service) Connectable(ctx context.Context, appID string, user *User, integ *Integration) (bool, error) {
	if integ.Auth.Type == AuthNone {
		return true, nil
	}
	if user == nil {
		return false, nil
	}
	conn, err := s.store.FindConnection(ctx, appID, user.ID, integ.Slug)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return conn.StatusAt(s.now()) == StatusConnected, nil
}
