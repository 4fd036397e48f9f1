package api

import "encoding/json"

// IntegrationPut is the body of PUT /v1/integrations/{slug}. With a
// template, the fields given replace the template's (inside auth.oauth2
// one by one); without one, name, base_url and auth are required.
type IntegrationPut struct {
	Template   *string             `json:"template,omitempty"`
	Name       *string             `json:"name,omitempty"`
	Category   *string             `json:"category,omitempty"`
	BaseURL    *string             `json:"base_url,omitempty"`
	Auth       *IntegrationAuthPut `json:"auth,omitempty"`
	AccountIDs *[]string           `json:"account_ids,omitempty"`
	Actions    *[]Action           `json:"actions,omitempty"`
}

// IntegrationAuthPut is the auth of an IntegrationPut.
type IntegrationAuthPut struct {
	Type   *string    `json:"type,omitempty"`
	Fields *[]Field   `json:"fields,omitempty"`
	Inject *Inject    `json:"inject,omitempty"`
	OAuth2 *OAuth2Put `json:"oauth2,omitempty"`
}

// OAuth2Put is the OAuth2 client of an IntegrationPut. ClientSecret is
// write-only; omitted or "********" keeps the stored one, "" removes it.
type OAuth2Put struct {
	AuthorizeURL *string   `json:"authorize_url,omitempty"`
	TokenURL     *string   `json:"token_url,omitempty"`
	ClientID     *string   `json:"client_id,omitempty"`
	ClientSecret *string   `json:"client_secret,omitempty"`
	Scopes       *[]string `json:"scopes,omitempty"`
}

// Integration is an integration as the API shows it: the client secret,
// when one is stored, as "********".
type Integration struct {
	Slug       string          `json:"slug"`
	Name       string          `json:"name"`
	Category   *string         `json:"category"`
	BaseURL    string          `json:"base_url"`
	Template   *string         `json:"template"`
	Auth       IntegrationAuth `json:"auth"`
	AccountIDs []string        `json:"account_ids"`
	Actions    []Action        `json:"actions"`
	CreatedAt  Time            `json:"created_at"`
	UpdatedAt  Time            `json:"updated_at"`
}

// IntegrationAuth says how credentials are collected and sent upstream.
type IntegrationAuth struct {
	Type   string  `json:"type"`
	Fields []Field `json:"fields"`
	Inject *Inject `json:"inject"`
	OAuth2 *OAuth2 `json:"oauth2"`
}

// OAuth2 is an integration's OAuth2 client.
type OAuth2 struct {
	AuthorizeURL string   `json:"authorize_url"`
	TokenURL     string   `json:"token_url"`
	ClientID     string   `json:"client_id"`
	ClientSecret *string  `json:"client_secret"` // "********" or null
	Scopes       []string `json:"scopes"`
}

// Field is a credential value the user provides.
type Field struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Secret   bool   `json:"secret"`
	Optional bool   `json:"optional"`
}

// Inject places a credential in upstream requests: a header or a query
// parameter, with a {field} template.
type Inject struct {
	Header string `json:"header,omitempty"`
	Query  string `json:"query,omitempty"`
	Format string `json:"format"`
}

// Action is a named function of an integration.
type Action struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	InputSchema json.RawMessage `json:"input_schema"`
	// Approval is "confirm" (every call waits for the user's approval) or
	// "auto"; left out, a DELETE follows the app's
	// approval_default_for_delete and any other method runs at once.
	Approval string `json:"approval,omitempty"`
}

// Connection is a user's connection to an integration: never its values.
type Connection struct {
	ID          string   `json:"id"`
	UserID      string   `json:"user_id"`
	Integration string   `json:"integration"`
	Status      string   `json:"status"`
	CreatedAt   Time     `json:"created_at"`
	UpdatedAt   Time     `json:"updated_at"`
	ExpiresAt   *Time    `json:"expires_at"`
	Fields      []string `json:"fields"`
}

// ConnectionImport is the body of PUT /v1/users/{id}/connections/{slug}:
// the credential values by field name; for OAuth2 access_token and
// optionally refresh_token, expires_at (RFC 3339), token_type and scope.
type ConnectionImport struct {
	Credentials map[string]string `json:"credentials"`
}
