package portico

import (
	"context"
	"strconv"
	"time"
)

// The activity log (docs/activity-and-approvals.md): one row for every
// perform, whatever its surface and outcome, every connection change and
// every session created or revoked. A row names who did what with which
// integration and how it ended; it never holds a query value, a body, a
// header or a credential.

// PrefixActivity starts every activity row id.
const PrefixActivity = "act_"

// Outcomes of an activity row.
const (
	OutcomeSuccess            = "success"
	OutcomeUpstreamError      = "upstream_error"
	OutcomeConnectionRequired = "connection_required"
	OutcomeApprovalRequired   = "approval_required"
	OutcomeDenied             = "denied"
	OutcomeRateLimited        = "rate_limited"
	OutcomeFailed             = "failed"
)

// Outcomes lists the outcomes, in the order the documentation gives.
var Outcomes = []string{OutcomeSuccess, OutcomeUpstreamError, OutcomeConnectionRequired,
	OutcomeApprovalRequired, OutcomeDenied, OutcomeRateLimited, OutcomeFailed}

// Clients of the surfaces that are not MCP ("mcp:<client name>").
const (
	ClientAPI       = "api"
	ClientSuperface = "superface"
	ClientPage      = "connect"
	ClientPortico   = "portico" // background work: the refresh pass
)

// Caller is who makes a call: the surface's client name ("api",
// "superface", "mcp:<client name>"), the app, and the session or API key
// it authenticated with, and the request's id and arrival. Perform takes
// it in its request; the store's own rows (connection and session changes)
// take it from the context (WithCaller), and the request's log line its
// app.
type Caller struct {
	Client    string
	AppID     string
	SessionID string
	KeyID     string
	RequestID string
	// Arrived is when the request reached Portico (Service.Now).
	Arrived time.Time
}

type callerKey struct{}

// WithCaller returns ctx carrying c. Adapters that learn the key or the
// session later (after authenticating) fill in the same *Caller.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, or the zero Caller.
func CallerFrom(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		return *c
	}
	return Caller{}
}

// SetCallerKey records the API key the caller of ctx authenticated with.
func SetCallerKey(ctx context.Context, keyID string) {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		c.KeyID = keyID
	}
}

type recheckKey struct{}

// Recheck marks ctx as a check, again, of a credential accepted for a
// request still being served (an MCP stream's, every few seconds): such a
// check is not a request of the caller's, and spends none of its rate
// budgets.
func Recheck(ctx context.Context) context.Context { return context.WithValue(ctx, recheckKey{}, true) }

// IsRecheck reports whether ctx is marked by Recheck.
func IsRecheck(ctx context.Context) bool { return ctx.Value(recheckKey{}) != nil }

// SetCallerSession records the session the caller of ctx authenticated
// with, and its app.
func SetCallerSession(ctx context.Context, s *Session) {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		c.AppID, c.SessionID = s.AppID, s.ID
	}
}

// Activity is one row of the activity log.
type Activity struct {
	ID        string
	AppID     string
	UserID    string // "" when the call named no known user
	SessionID string
	KeyID     string
	Client    string
	// Integration and Action name what was called; Action is the event
	// type ("connection.created") for a row that is not a perform.
	Integration string
	Action      string
	// Method and Path are the upstream request's method and the action's
	// path template (a raw request's path), never its query.
	Method         string
	Path           string
	UpstreamStatus int // 0: no upstream answer
	Outcome        string
	DryRun         bool
	Duration       time.Duration
	RequestID      string
	CreatedAt      time.Time
}

// ActivityFilter narrows a list of activity rows; nil fields match all.
type ActivityFilter struct {
	UserID      *string
	Integration *string
	// Integrations, when not nil, keeps the rows of these integrations
	// and those of no integration (a session's own events) only.
	Integrations []string
	Outcome      *string
	Since        *time.Time // inclusive
	Until        *time.Time // exclusive
}

// ActivityStore is the activity side of the store.
type ActivityStore interface {
	// RecordActivity queues a row for the batched writer, which commits
	// it within a second; it does not wait for the commit. It blocks only
	// while the writer's queue is full (until ctx ends).
	RecordActivity(ctx context.Context, a *Activity) error
	// FlushActivity commits every row queued before it was called.
	FlushActivity(ctx context.Context) error
	// ListActivity returns an app's rows newest first (by time, then id
	// descending), after q.After.
	ListActivity(ctx context.Context, appID string, f ActivityFilter, q ListQuery) ([]Activity, error)
	// PurgeActivity deletes up to batch rows older than their app's
	// activity_retention_days at now, and returns how many.
	// Deployment-wide, like PurgeSessions.
	PurgeActivity(ctx context.Context, now time.Time, batch int) (int, error)
}

// record queues a with its id and time filled in, unless s.NoActivity; a
// failure to queue is logged, never the caller's error.
func (s *Service) record(ctx context.Context, a *Activity) {
	if s.NoActivity {
		return
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	if a.ID == "" {
		a.ID = NewTimeID(PrefixActivity, a.CreatedAt)
	}
	if err := s.store.RecordActivity(context.WithoutCancel(ctx), a); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "activity_not_recorded", "app_id", a.AppID, "request_id", a.RequestID, "error", err.Error())
	}
}

// note records a change that is not a perform (typ is its event type,
// such as EventConnectionCreated), made by the caller of ctx.
func (s *Service) note(ctx context.Context, appID, userID, integration, typ string) {
	c := CallerFrom(ctx)
	if c.Client == "" {
		c.Client = ClientPortico
	}
	s.record(ctx, &Activity{AppID: appID, UserID: userID, SessionID: c.SessionID, KeyID: c.KeyID, Client: c.Client,
		Integration: integration, Action: typ, Outcome: OutcomeSuccess, RequestID: c.RequestID})
}

// ListActivity returns a page of an app's activity, newest first.
func (s *Service) ListActivity(ctx context.Context, appID string, f ActivityFilter, r PageRequest) (Page[Activity], error) {
	if f.Outcome != nil && !validOutcome(*f.Outcome) {
		return Page[Activity]{}, Invalid("outcome", "outcome must be one of success, upstream_error, connection_required, approval_required, denied, rate_limited, failed.")
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return Page[Activity]{}, Invalid("until", "until must be after since.")
	}
	// This node's queued rows first, so that a caller sees its own
	// calls.
	if err := s.store.FlushActivity(ctx); err != nil {
		return Page[Activity]{}, err
	}
	scope := "activity\x00" + appID + "\x00" + deref(f.UserID) + "\x00" + deref(f.Integration) + "\x00" + deref(f.Outcome) +
		"\x00" + timeKey(f.Since) + "\x00" + timeKey(f.Until)
	return paginate(s.Pages, scope, r, func(a Activity) Cursor { return Cursor{a.CreatedAt, a.ID} },
		func(q ListQuery) ([]Activity, error) { return s.store.ListActivity(ctx, appID, f, q) })
}

// SessionActivity is ListActivity for the user of a session, as GET
// /v1/me/activity shows it: the user's rows of the integrations the
// session shows, and those of no integration (its sessions' events), as on
// the hosted page; another integration's rows are not the session's to see.
func (s *Service) SessionActivity(ctx context.Context, sess *Session, user *User, f ActivityFilter, r PageRequest) (Page[Activity], error) {
	shown, err := s.SessionIntegrations(ctx, sess, user)
	if err != nil {
		return Page[Activity]{}, err
	}
	f.UserID, f.Integrations = &user.ID, slugsOf(shown)
	return s.ListActivity(ctx, sess.AppID, f, r)
}

// PurgeActivity deletes up to batch rows past their app's retention.
func (s *Service) PurgeActivity(ctx context.Context, batch int) (int, error) {
	return s.store.PurgeActivity(ctx, s.now(), batch)
}

func validOutcome(o string) bool {
	for _, v := range Outcomes {
		if v == o {
			return true
		}
	}
	return false
}

func timeKey(t *time.Time) string {
	if t == nil {
		return "\x01"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}
