package api

import "encoding/json"

// SessionCreate is the body of POST /v1/sessions. Only User is required.
type SessionCreate struct {
	User           UserCreate       `json:"user"`
	TTLSeconds     *int             `json:"ttl_seconds,omitempty"`
	Refreshable    bool             `json:"refreshable,omitempty"`
	RedirectURI    string           `json:"redirect_uri,omitempty"`
	Settings       *SessionSettings `json:"settings,omitempty"`
	Theme          *Theme           `json:"theme,omitempty"`
	CustomSettings json.RawMessage  `json:"custom_settings,omitempty"`
}

// SessionSettings shape the hosted page of a session. Empty integrations
// and categories mean all; allow_actions defaults to disconnect and
// reauthorize.
type SessionSettings struct {
	Integrations  []string `json:"integrations,omitempty"`
	Categories    []string `json:"categories,omitempty"`
	AllowActions  []string `json:"allow_actions,omitempty"`
	IsolationMode bool     `json:"isolation_mode,omitempty"`
	SandboxMode   bool     `json:"sandbox_mode,omitempty"`
	AutoRedirect  bool     `json:"auto_redirect,omitempty"`
	// Tools narrow the session's MCP tools (docs/mcp.md).
	Tools *ToolSettings `json:"tools,omitempty"`
	// What the hosted page shows (docs/hosted-page.md): the category
	// sidebar and the activity by default, suggestions only when asked.
	ShowSidebar          *bool `json:"show_sidebar,omitempty"`
	ShowActivity         *bool `json:"show_activity,omitempty"`
	HideGuides           bool  `json:"hide_guides,omitempty"`
	HideResourceSettings bool  `json:"hide_resource_settings,omitempty"`
	ShowSuggestions      bool  `json:"show_suggestions,omitempty"`
}

// ToolSettings narrow a session's MCP tools: allow (empty: all) and deny
// hold tool names or patterns ending in * ("github_*"); read_only keeps
// only read-only tools.
type ToolSettings struct {
	Allow    []string `json:"allow,omitempty"`
	Deny     []string `json:"deny,omitempty"`
	ReadOnly bool     `json:"read_only,omitempty"`
}

// Session is a session as the API shows it: never its tokens.
type Session struct {
	ID             string          `json:"id"`
	UserID         string          `json:"user_id"`
	ExternalUserID *string         `json:"external_user_id"`
	CreatedAt      Time            `json:"created_at"`
	UpdatedAt      Time            `json:"updated_at"`
	ExpiresAt      Time            `json:"expires_at"`
	Refreshable    bool            `json:"refreshable"`
	RedirectURI    *string         `json:"redirect_uri"`
	Settings       json.RawMessage `json:"settings"`
	Theme          json.RawMessage `json:"theme"`
	CustomSettings json.RawMessage `json:"custom_settings"`
}

// SessionCreated answers POST /v1/sessions. Token and RefreshToken are shown
// only here.
type SessionCreated struct {
	Session                   Session `json:"session"`
	Token                     string  `json:"token"`
	RefreshToken              string  `json:"refresh_token,omitempty"`
	ConfigurationURL          string  `json:"configuration_url"`
	ConfigurationURLExpiresAt Time    `json:"configuration_url_expires_at"`
	AssistantHint             string  `json:"assistant_hint"`
	// MCPURL is the MCP endpoint an agent reaches the user's tools at, with
	// Token as its bearer token (docs/mcp.md).
	MCPURL string `json:"mcp_url"`
}

// ConfigurationURL answers POST /v1/sessions/{id}/configuration_url.
type ConfigurationURL struct {
	Session                   Session `json:"session"`
	ConfigurationURL          string  `json:"configuration_url"`
	ConfigurationURLExpiresAt Time    `json:"configuration_url_expires_at"`
	AssistantHint             string  `json:"assistant_hint"`
}

// SessionExtend is the body of POST /v1/sessions/{id}/extend.
type SessionExtend struct {
	TTLSeconds int `json:"ttl_seconds"`
}

// TokenRefresh is the body of POST /v1/tokens/refresh.
type TokenRefresh struct {
	RefreshToken string `json:"refresh_token"`
}

// TokenRefreshed answers POST /v1/tokens/refresh.
type TokenRefreshed struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresAt    Time   `json:"expires_at"`
}

// Revoked answers DELETE /v1/users/{id}/sessions.
type Revoked struct {
	Revoked int `json:"revoked"`
}

// Me answers GET /v1/me: the session validation call.
type Me struct {
	User    User    `json:"user"`
	Session Session `json:"session"`
}
