package portico

import (
	"context"
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
	EventConnectionRefreshFailed, EventConnectionRecovered, EventApprovalRequested, EventApprovalDecided, EventIntegrationSuggested,
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

// EventClaim says how many events one claim may take.
type EventClaim struct {
	// Limit bounds the events claimed.
	Limit int
	// PerApp, when positive, bounds the events of one app in flight,
	// counting Busy, the claimer's events in flight by app: an app whose
	// receiver hangs then holds that many of a node's delivery slots, and
	// the other apps' events go out beside them.
	PerApp int
	Busy   map[string]int
}

// EventStore is the outbox side of the store. The events themselves are
// written by the store methods that make the changes, in the same
// transaction, and only for apps with a webhook_url.
type EventStore interface {
	// ClaimEvents leases, until now+lease, up to c.Limit pending events
	// whose next attempt is due and that no one holds, each the oldest
	// pending event of its user: a user's next event waits until the
	// previous one is delivered or given up. Safe across nodes: one event
	// is held by one claim at a time.
	ClaimEvents(ctx context.Context, lease time.Duration, c EventClaim) ([]OutboxEvent, error)
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
	// QueueEvent queues an event that reports no stored change (a
	// suggestion): data is its JSON data.
	QueueEvent(ctx context.Context, appID, userID, typ string, data any) error
	// EventsQueued receives a value after a write that queued events has
	// committed, so that the worker can deliver them promptly.
	EventsQueued() <-chan struct{}
}
