package portico

import (
	"context"
	"slices"
)

// ConnectionDeleter removes connections.
type ConnectionDeleter interface {
	// DeleteConnection deletes a connection of the user (all users when
	// userID is ""), credentials and all (CodeNotFound).
	DeleteConnection(ctx context.Context, appID, id, userID string) error
}

// The actions a session's allow_actions may offer on a connection.
const (
	ActionDisconnect  = "disconnect"
	ActionReauthorize = "reauthorize"
	ActionDelete      = "delete"
	ActionDisable     = "disable"
)

// ActOnConnection lets a session's user act on one of its own connections
// with an action the session allows: disconnect and disable revoke it
// (credentials erased, status revoked; connecting again re-enables it),
// delete removes it. Another user's connection, or one to an integration
// the session may not show, is CodeNotFound; an action the session does not
// allow is CodeForbidden.
func (s *Service) ActOnConnection(ctx context.Context, sess *Session, user *User, id, action string) error {
	if !slices.Contains([]string{ActionDisconnect, ActionDelete, ActionDisable}, action) {
		return NotFound("Action")
	}
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return err
	}
	if !slices.Contains(st.AllowActions, action) {
		return Errorf(CodeForbidden, "This session does not allow the action %q.", action)
	}
	c, err := s.store.FindConnectionByID(ctx, sess.AppID, id)
	if err != nil {
		return err
	}
	if c.UserID != user.ID {
		return NotFound("Connection")
	}
	if _, err := s.sessionIntegration(ctx, sess, user, c.Integration); err != nil {
		return NotFound("Connection")
	}
	if action == ActionDelete {
		err = s.store.DeleteConnection(ctx, sess.AppID, id, user.ID)
	} else {
		_, err = s.store.RevokeConnection(ctx, sess.AppID, id, user.ID)
	}
	if err == nil {
		s.note(ctx, sess.AppID, user.ID, c.Integration, EventConnectionRevoked)
	}
	return err
}
