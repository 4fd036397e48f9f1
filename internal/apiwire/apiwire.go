// Package apiwire renders domain values as the wire types of package api:
// one function per resource, used by the /v1 handlers and by the webhook
// events the store writes, so that an event's data is the object as the
// API shows it (docs/webhooks.md).
package apiwire

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// User is the wire form of a user.
func User(u *portico.User) api.User {
	ids := u.AccountIDs
	if ids == nil {
		ids = []string{}
	}
	return api.User{ID: u.ID, ExternalID: u.ExternalID, Email: u.Email, Name: u.Name, Metadata: object(u.Metadata),
		AccountIDs: ids, CreatedAt: api.NewTime(u.CreatedAt), UpdatedAt: api.NewTime(u.UpdatedAt)}
}

// Session is the wire form of a session, never its tokens.
func Session(s *portico.Session) api.Session {
	out := api.Session{ID: s.ID, UserID: s.UserID, ExternalUserID: s.ExternalUserID,
		CreatedAt: api.NewTime(s.CreatedAt), UpdatedAt: api.NewTime(s.UpdatedAt), ExpiresAt: api.NewTime(s.ExpiresAt),
		Refreshable: s.Refreshable, Settings: object(s.Settings), Theme: object(s.Theme), CustomSettings: object(s.CustomSettings)}
	if s.RedirectURI != "" {
		uri := s.RedirectURI
		out.RedirectURI = &uri
	}
	return out
}

// object is a stored JSON object, {} when there is none.
func object(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("{}")
	}
	return v
}

// Connection is the wire form of a connection at now: its status as shown
// then, and the names of its credential fields, never their values.
func Connection(c *portico.Connection, now time.Time) api.Connection {
	out := api.Connection{ID: c.ID, UserID: c.UserID, Integration: c.Integration, Status: c.StatusAt(now),
		CreatedAt: api.NewTime(c.CreatedAt), UpdatedAt: api.NewTime(c.UpdatedAt), Fields: append([]string{}, c.Fields...),
		Settings: maps.Clone(c.Settings), AccountLabel: c.AccountLabel}
	if out.Settings == nil {
		out.Settings = map[string]string{}
	}
	if c.Warning != "" {
		w := c.Warning
		out.Warning = &w
	}
	if c.ExpiresAt != nil {
		t := api.NewTime(*c.ExpiresAt)
		out.ExpiresAt = &t
	}
	return out
}

// Event is the JSON body of a webhook event:
// {"id","type","created_at","app_id","data"}.
func Event(id, typ, appID string, at time.Time, data any) ([]byte, error) {
	return json.Marshal(struct {
		ID        string   `json:"id"`
		Type      string   `json:"type"`
		CreatedAt api.Time `json:"created_at"`
		AppID     string   `json:"app_id"`
		Data      any      `json:"data"`
	}{id, typ, api.NewTime(at), appID, data})
}

// ConnectionEvent is the data of a connection event: Connection, with
// the keys of extra for events that say why they happened (a refresh
// failure's reason). Keys that name a field of the connection are
// ignored: the connection's own fields win.
func ConnectionEvent(c *portico.Connection, now time.Time, extra map[string]any) any {
	return withExtra(Connection(c, now), extra)
}

// VerificationFailedEvent is the data of session.verification_failed: the
// session, with the flow, why it failed and the user the app named.
func VerificationFailedEvent(f *portico.VerificationFailure) any {
	return withExtra(Session(f.Session), map[string]any{"flow_id": f.FlowID, "reason": f.Reason, "confirmed_user": f.ConfirmedUser})
}

// withExtra is data (an object's wire form) with the keys of extra; keys
// data has already are ignored: the object's own fields win.
func withExtra(data any, extra map[string]any) any {
	if len(extra) == 0 {
		return data
	}
	b, err := json.Marshal(data)
	if err != nil {
		return data
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return data
	}
	for k, v := range extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

// ApprovalEvent is the data of an approval event: the approval as the
// hosted page shows it.
func ApprovalEvent(a *portico.Approval) any {
	out := map[string]any{"id": a.ID, "user_id": a.UserID, "integration": a.Integration, "action": a.Action,
		"summary": a.Summary, "status": a.Status, "created_at": api.NewTime(a.CreatedAt), "expires_at": api.NewTime(a.ExpiresAt)}
	if a.DecidedAt != nil {
		out["decided_at"] = api.NewTime(*a.DecidedAt)
	}
	return out
}
