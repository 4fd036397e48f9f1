package portico

import (
	"context"
	"encoding/json"
	"maps"
	"time"
)

// PrefixEvent starts every webhook event id.
const PrefixEvent = "evt_"

// Webhook event types (docs/webhooks.md).
const (
	EventUserCreated             = "user.created"
	EventSessionCreated          = "session.created"
	EventSessionRevoked          = "session.revoked"
	EventConnectionCreated       = "connection.created"
	EventConnectionUpdated       = "connection.updated"
	EventConnectionExpired       = "connection.expired"
	EventConnectionRevoked       = "connection.revoked"
	EventConnectionRefreshFailed = "connection.refresh_failed"
	EventConnectionRecovered     = "connection.recovered"
)

// EventTypes lists every event type, in the order the documentation gives.
var EventTypes = []string{EventUserCreated, EventSessionCreated, EventSessionRevoked,
	EventConnectionCreated, EventConnectionUpdated, EventConnectionExpired, EventConnectionRevoked,
	EventConnectionRefreshFailed, EventConnectionRecovered, EventApprovalRequested, EventApprovalDecided,
	EventSessionVerificationFailed}

// Outbox event statuses.
const (
	EventPending   = "pending"
	EventDelivered = "delivered"
	EventFailed    = "failed"
)

// OutboxEvent is a webhook event in the durable outbox: written in the
// transaction of the change it reports, delivered later by the worker.
type OutboxEvent struct {
	// Seq orders the events of one user (and of the deployment).
	Seq    int64
	ID     string
	AppID  string
	UserID string
	Type   string
	// Body is the exact JSON sent, the same at every attempt.
	Body          []byte
	CreatedAt     time.Time
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	// Lease identifies the claim of the worker delivering the event.
	Lease string
	// WebhookURL and WebhookSecret (sealed, WebhookSecretAAD) are the
	// app's when the event is claimed: a changed URL or rotated secret
	// applies to events still queued.
	WebhookURL    string
	WebhookSecret string
}

// Outcomes of webhook delivery attempts, as the metrics count them.
const (
	DeliveryDelivered = "delivered"
	DeliveryRetry     = "retry"  // failed; tried again later
	DeliveryFailed    = "failed" // failed; given up
)

// EventOutcome is the result of one delivery attempt.
type EventOutcome struct {
	// Status is EventDelivered, EventFailed (given up) or EventPending
	// (retry at NextAttemptAt).
	Status        string
	NextAttemptAt time.Time
	// Error says why the attempt failed; never holds a secret.
	Error string
}

// EventStore is the outbox side of the store. The events themselves are
// written by the store methods that make the changes, in the same
// transaction, and only for apps with a webhook_url.
type EventStore interface {
	// ClaimEvents leases, until now+lease, up to limit pending events whose
	// next attempt is due and that no one holds, each the oldest pending
	// event of its user: a user's next event waits until the previous one
	// is delivered or given up. Safe across nodes: one event is held by one
	// claim at a time.
	ClaimEvents(ctx context.Context, lease time.Duration, limit int) ([]OutboxEvent, error)
	// FinishEvent records the outcome of an attempt on a claimed event and
	// releases it; it reports false, changing nothing, when the lease was
	// lost (expired and claimed again).
	FinishEvent(ctx context.Context, seq int64, lease string, out EventOutcome) (bool, error)
	// PruneEvents deletes up to batch delivered or failed events finished
	// before the given instant and returns how many.
	PruneEvents(ctx context.Context, before time.Time, batch int) (int, error)
	// ListEvents returns up to limit events of an app, oldest first, with
	// their delivery state.
	ListEvents(ctx context.Context, appID string, limit int) ([]OutboxEvent, error)
	// EventsQueued receives a value after a write that queued events has
	// committed, so that the worker can deliver them promptly.
	EventsQueued() <-chan struct{}
}

// MarshalEvent is the JSON body of a webhook event:
// {"id","type","created_at","app_id","data"}.
func MarshalEvent(id, typ, appID string, at time.Time, data any) ([]byte, error) {
	return json.Marshal(struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		CreatedAt eventTime `json:"created_at"`
		AppID     string    `json:"app_id"`
		Data      any       `json:"data"`
	}{id, typ, eventTime(at), appID, data})
}

// The data of an event is the object as the native API shows it, built here
// because the store writes it in the transaction of the change. The types
// below mirror the wire types of package api field for field (a test of the
// webhook package decodes them strictly into those).

// eventTime is a timestamp as the API writes it: RFC 3339 UTC, seconds.
type eventTime time.Time

func (t eventTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z") + `"`), nil
}

type userEventData struct {
	ID         string          `json:"id"`
	ExternalID *string         `json:"external_id"`
	Email      *string         `json:"email"`
	Name       string          `json:"name"`
	Metadata   json.RawMessage `json:"metadata"`
	AccountIDs []string        `json:"account_ids"`
	CreatedAt  eventTime       `json:"created_at"`
	UpdatedAt  eventTime       `json:"updated_at"`
}

// UserEventData is the data of a user event: the user as GET
// /v1/users/{id} shows it.
func UserEventData(u *User) any {
	ids := u.AccountIDs
	if ids == nil {
		ids = []string{}
	}
	md := u.Metadata
	if len(md) == 0 {
		md = json.RawMessage("{}")
	}
	return userEventData{ID: u.ID, ExternalID: u.ExternalID, Email: u.Email, Name: u.Name, Metadata: md,
		AccountIDs: ids, CreatedAt: eventTime(u.CreatedAt), UpdatedAt: eventTime(u.UpdatedAt)}
}

type sessionEventData struct {
	ID             string          `json:"id"`
	UserID         string          `json:"user_id"`
	ExternalUserID *string         `json:"external_user_id"`
	CreatedAt      eventTime       `json:"created_at"`
	UpdatedAt      eventTime       `json:"updated_at"`
	ExpiresAt      eventTime       `json:"expires_at"`
	Refreshable    bool            `json:"refreshable"`
	RedirectURI    *string         `json:"redirect_uri"`
	Settings       json.RawMessage `json:"settings"`
	Theme          json.RawMessage `json:"theme"`
	CustomSettings json.RawMessage `json:"custom_settings"`
}

// SessionEventData is the data of a session event: the session as GET
// /v1/sessions/{id} shows it, never its tokens.
func SessionEventData(s *Session) any {
	out := sessionEventData{ID: s.ID, UserID: s.UserID, ExternalUserID: s.ExternalUserID,
		CreatedAt: eventTime(s.CreatedAt), UpdatedAt: eventTime(s.UpdatedAt), ExpiresAt: eventTime(s.ExpiresAt),
		Refreshable: s.Refreshable, Settings: rawOr(s.Settings), Theme: rawOr(s.Theme), CustomSettings: rawOr(s.CustomSettings)}
	if s.RedirectURI != "" {
		uri := s.RedirectURI
		out.RedirectURI = &uri
	}
	return out
}

func rawOr(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("{}")
	}
	return v
}

type connectionEventData struct {
	ID          string     `json:"id"`
	UserID      string     `json:"user_id"`
	Integration string     `json:"integration"`
	Status      string     `json:"status"`
	CreatedAt   eventTime  `json:"created_at"`
	UpdatedAt   eventTime  `json:"updated_at"`
	ExpiresAt   *eventTime `json:"expires_at"`
	Fields      []string   `json:"fields"`
	// Settings and AccountLabel: see Connection.
	Settings     map[string]string `json:"settings"`
	AccountLabel *string           `json:"account_label"`
}

// ConnectionEventData is the data of a connection event: the connection as
// GET /v1/connections/{id} shows it at now, never its credentials.
func ConnectionEventData(c *Connection, now time.Time) any {
	out := connectionEventData{ID: c.ID, UserID: c.UserID, Integration: c.Integration, Status: c.StatusAt(now),
		CreatedAt: eventTime(c.CreatedAt), UpdatedAt: eventTime(c.UpdatedAt), Fields: append([]string{}, c.Fields...),
		Settings: maps.Clone(c.Settings), AccountLabel: c.AccountLabel}
	if out.Settings == nil {
		out.Settings = map[string]string{}
	}
	if c.ExpiresAt != nil {
		t := eventTime(*c.ExpiresAt)
		out.ExpiresAt = &t
	}
	return out
}

// ConnectionEventDataWith is ConnectionEventData with more keys, for events
// that say why they happened (a refresh failure's reason). Keys that name a
// field of the connection are ignored: the connection's own fields win.
func ConnectionEventDataWith(c *Connection, now time.Time, extra map[string]any) any {
	return withExtra(ConnectionEventData(c, now), extra)
}

// withExtra is data (an object's wire form) with more keys; keys data has
// already are ignored: the object's own fields win.
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
