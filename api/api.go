// Package api holds the public wire types of Portico's native /v1 API:
// request and response bodies and the error envelope. The server and the Go
// client share them; they never reuse domain structs, so that a field added
// to the domain cannot leak onto the wire by accident.
package api

import (
	"encoding/json"
	"time"
)

// Time is a timestamp on the wire: RFC 3339, UTC, whole seconds.
type Time struct{ time.Time }

// TimeFormat is the wire format of Time.
const TimeFormat = "2006-01-02T15:04:05Z"

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Second)} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeFormat) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = v.UTC()
	return nil
}

// Nullable is a field whose absence and whose null mean different things in
// a PATCH: Set tells it was present; Value nil then means null.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n Nullable[T]) MarshalJSON() ([]byte, error) { return json.Marshal(n.Value) }

// IsZero lets `omitzero` drop an unset field.
func (n Nullable[T]) IsZero() bool { return !n.Set }

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error describes what went wrong. Code is stable; Message is for people.
type Error struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Details   map[string]any `json:"details,omitempty"`
	RequestID string         `json:"request_id"`
}

// List is one page of a list.
type List[T any] struct {
	Data          []T     `json:"data"`
	NextPageToken *string `json:"next_page_token"`
}

// App is the caller's own app.
type App struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	CreatedAt Time        `json:"created_at"`
	Settings  AppSettings `json:"settings"`
	// WebhookSecret is returned once, by the PATCH that sets webhook_url.
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

// AppSettings are the app's tunables.
type AppSettings struct {
	SessionTTLSeconds          int      `json:"session_ttl_seconds"`
	MaxSessionTTLSeconds       int      `json:"max_session_ttl_seconds"`
	ConfigurationURLTTLSeconds int      `json:"configuration_url_ttl_seconds"`
	MaxSessionsPerUser         int      `json:"max_sessions_per_user"`
	SessionLimitPolicy         string   `json:"session_limit_policy"`
	AllowedRedirectURIs        []string `json:"allowed_redirect_uris"`
	AllowedFrameOrigins        []string `json:"allowed_frame_origins"`
	Theme                      Theme    `json:"theme"`
	WebhookURL                 *string  `json:"webhook_url"`
	MaxUsers                   *int     `json:"max_users"`
	// ConnectSessionTokens and ConnectIDTokens tell whether
	// POST /v1/connect/token may issue session and id tokens.
	ConnectSessionTokens bool `json:"connect_session_tokens"`
	ConnectIDTokens      bool `json:"connect_id_tokens"`
	// MCPMaxResultBytes bounds the text of an MCP tool result.
	MCPMaxResultBytes int `json:"mcp_max_result_bytes"`
	// ActivityRetentionDays is how long activity rows are kept.
	ActivityRetentionDays int `json:"activity_retention_days"`
	// PerformRatePerUser (per minute) and PerformBurstPerUser bound one
	// user's performs on every surface, per node.
	PerformRatePerUser  int `json:"perform_rate_per_user"`
	PerformBurstPerUser int `json:"perform_burst_per_user"`
	// ApprovalDefaultForDelete is "auto" or "confirm": the approval of
	// DELETE actions that declare none.
	ApprovalDefaultForDelete string `json:"approval_default_for_delete"`
	// UserVerificationURL is where a configuration link opened in a
	// browser is sent for the app to confirm its user; null when off.
	UserVerificationURL *string `json:"user_verification_url"`
}

// Theme is the presentation of the hosted page.
type Theme struct {
	Name                   string `json:"name,omitempty"`
	LogoURL                string `json:"logo_url,omitempty"`
	FaviconURL             string `json:"favicon_url,omitempty"`
	PrimaryColor           string `json:"primary_color,omitempty"`
	SidebarBackgroundColor string `json:"sidebar_background_color,omitempty"`
	SidebarTextColor       string `json:"sidebar_text_color,omitempty"`
	PrivacyURL             string `json:"privacy_url,omitempty"`
	TermsURL               string `json:"terms_url,omitempty"`
}

// AppUpdate is the body of PATCH /v1/app.
type AppUpdate struct {
	Name     *string            `json:"name,omitempty"`
	Settings *AppSettingsUpdate `json:"settings,omitempty"`
}

// AppSettingsUpdate changes the settings it names. A null webhook_url
// removes the webhook; a null max_users means no limit; a null
// user_verification_url turns user verification off.
type AppSettingsUpdate struct {
	SessionTTLSeconds          *int             `json:"session_ttl_seconds,omitempty"`
	MaxSessionTTLSeconds       *int             `json:"max_session_ttl_seconds,omitempty"`
	ConfigurationURLTTLSeconds *int             `json:"configuration_url_ttl_seconds,omitempty"`
	MaxSessionsPerUser         *int             `json:"max_sessions_per_user,omitempty"`
	SessionLimitPolicy         *string          `json:"session_limit_policy,omitempty"`
	AllowedRedirectURIs        *[]string        `json:"allowed_redirect_uris,omitempty"`
	AllowedFrameOrigins        *[]string        `json:"allowed_frame_origins,omitempty"`
	Theme                      *Theme           `json:"theme,omitempty"`
	WebhookURL                 Nullable[string] `json:"webhook_url,omitzero"`
	MaxUsers                   Nullable[int]    `json:"max_users,omitzero"`
	ConnectSessionTokens       *bool            `json:"connect_session_tokens,omitempty"`
	ConnectIDTokens            *bool            `json:"connect_id_tokens,omitempty"`
	MCPMaxResultBytes          *int             `json:"mcp_max_result_bytes,omitempty"`
	ActivityRetentionDays      *int             `json:"activity_retention_days,omitempty"`
	PerformRatePerUser         *int             `json:"perform_rate_per_user,omitempty"`
	PerformBurstPerUser        *int             `json:"perform_burst_per_user,omitempty"`
	ApprovalDefaultForDelete   *string          `json:"approval_default_for_delete,omitempty"`
	UserVerificationURL        Nullable[string] `json:"user_verification_url,omitzero"`
}

// User is an end user of the app.
type User struct {
	ID         string          `json:"id"`
	ExternalID *string         `json:"external_id"`
	Email      *string         `json:"email"`
	Name       string          `json:"name"`
	Metadata   json.RawMessage `json:"metadata"`
	AccountIDs []string        `json:"account_ids"`
	CreatedAt  Time            `json:"created_at"`
	UpdatedAt  Time            `json:"updated_at"`
}

// UserCreate is the body of POST /v1/users, and the user of a session
// request: at least one of ExternalID and Email.
type UserCreate struct {
	ExternalID *string         `json:"external_id,omitempty"`
	Email      *string         `json:"email,omitempty"`
	Name       string          `json:"name,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	AccountIDs []string        `json:"account_ids,omitempty"`
}

// UserUpdate is the body of PATCH /v1/users/{id}; account_ids, when given,
// replaces the user's memberships.
type UserUpdate struct {
	ExternalID *string         `json:"external_id,omitempty"`
	Email      *string         `json:"email,omitempty"`
	Name       *string         `json:"name,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	AccountIDs *[]string       `json:"account_ids,omitempty"`
}

// Account is a group of users.
type Account struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`
}

// AccountCreate is the body of POST /v1/accounts.
type AccountCreate struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// AccountUpdate is the body of PATCH /v1/accounts/{id}.
type AccountUpdate struct {
	Name string `json:"name"`
}

// Activity is one row of the activity log: a perform (any surface, dry
// runs included), a connection change or a session created or revoked.
// It never holds a query value, a body, a header or a credential.
type Activity struct {
	ID        string  `json:"id"`
	UserID    *string `json:"user_id"`
	SessionID *string `json:"session_id"`
	APIKeyID  *string `json:"api_key_id"`
	// Client is the surface: "api", "superface", "connect" (the hosted
	// page), "mcp:<client name>", "portico" (background work), …
	Client      string  `json:"client"`
	Integration *string `json:"integration"`
	// Action is the action's name, or the event type of a change that is
	// not a perform ("connection.created").
	Action *string `json:"action"`
	// Method and Path are the upstream request's method and path
	// template; never its query.
	Method         *string `json:"method"`
	Path           *string `json:"path"`
	UpstreamStatus *int    `json:"upstream_status"`
	Outcome        string  `json:"outcome"`
	DryRun         bool    `json:"dry_run"`
	DurationMS     float64 `json:"duration_ms"`
	RequestID      *string `json:"request_id"`
	CreatedAt      Time    `json:"created_at"`
}
