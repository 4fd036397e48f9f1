package portico

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// EventIntegrationSuggested reports a tool a user asked for on the hosted
// page ("Don't see your tool?", docs/hosted-page.md).
const EventIntegrationSuggested = "integration.suggested"

// Limits of a suggestion, and of how many one page sends: each is a
// webhook delivery to the app, and a user's events go out one after the
// other, so a flood would hold up that user's other events.
const (
	MaxSuggestionNameLen = 100
	MaxSuggestionNoteLen = 500
	SuggestionsPerMinute = 2
	SuggestionsBurst     = 5
)

// SuggestionEventData is the data of integration.suggested.
type SuggestionEventData struct {
	UserID         string  `json:"user_id"`
	ExternalUserID *string `json:"external_user_id"`
	SessionID      string  `json:"session_id"`
	Name           string  `json:"name"`
	Note           string  `json:"note"`
}

// SuggestIntegration queues integration.suggested for the app: the user of
// a session whose settings show suggestions names a tool it misses, with
// an optional note. CodeForbidden when the session does not show
// suggestions; CodeValidation for an empty or overlong name or note.
func (s *Service) SuggestIntegration(ctx context.Context, sess *Session, user *User, name, note string) error {
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return err
	}
	if !st.ShowSuggestions {
		return Errorf(CodeForbidden, "This session does not take suggestions; its settings.show_suggestions is false.")
	}
	name, note = strings.TrimSpace(name), strings.TrimSpace(note)
	if name == "" {
		return Invalid("name", "Name the tool you would like to connect.")
	}
	if err := checkLine("name", name, MaxSuggestionNameLen); err != nil {
		return err
	}
	if len(note) > MaxSuggestionNoteLen || !utf8.ValidString(note) || hasControlExceptNewline(strings.ReplaceAll(note, "\r", "")) {
		return Invalidf("note", "The note is at most %d bytes of text.", MaxSuggestionNoteLen)
	}
	if wait := s.limiter.spend("suggest\x00"+sess.ID, SuggestionsPerMinute, SuggestionsBurst, s.now()); wait > 0 {
		secs := RetrySeconds(wait)
		return &Error{Code: CodeRateLimited, RetryAfter: time.Duration(secs) * time.Second,
			Message: fmt.Sprintf("Thanks, that is plenty for now: try again in %s.", HumanDuration(time.Duration(secs)*time.Second))}
	}
	return s.store.QueueEvent(ctx, sess.AppID, user.ID, EventIntegrationSuggested,
		SuggestionEventData{UserID: user.ID, ExternalUserID: user.ExternalID, SessionID: sess.ID, Name: name, Note: note})
}
