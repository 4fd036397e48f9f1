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
	OpenAPI    *OpenAPIImport      `json:"openapi,omitempty"`
	// The descriptive parts (docs/catalog-data.md).
	Description    *string            `json:"description,omitempty"`
	LogoURL        *string            `json:"logo_url,omitempty"`
	BrandColor     *string            `json:"brand_color,omitempty"`
	SourceURL      *string            `json:"source_url,omitempty"`
	Guide          *Guide             `json:"guide,omitempty"`
	SettingsFields *[]SettingsField   `json:"settings_fields,omitempty"`
	Headers        *map[string]string `json:"headers,omitempty"`
	Verify         *Verify            `json:"verify,omitempty"`
}

// Guide says where a user finds a credential: numbered steps and a link.
type Guide struct {
	Steps []string `json:"steps"`
	URL   string   `json:"url"`
}

// SettingsField is a non-secret per-connection value used as {name} in the
// integration's base_url, headers and verify path.
type SettingsField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Pattern     string `json:"pattern,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
	Optional    bool   `json:"optional,omitempty"`
}

// Verify is the request that proves a credential works at connect time,
// and the RFC 6901 pointer to the account label in its answer.
type Verify struct {
	Method         string `json:"method"`
	Path           string `json:"path"`
	ExpectedStatus int    `json:"expected_status,omitempty"`
	LabelPointer   string `json:"label_pointer,omitempty"`
}

// Scope is an OAuth2 scope and what it grants, in plain words.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ScopePut is a scope of an OAuth2Put. A plain string is accepted for a
// scope without description (the form before descriptions).
type ScopePut struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// UnmarshalJSON accepts {"name","description"?} or a plain string.
func (s *ScopePut) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*s = ScopePut{Name: name}
		return nil
	}
	type plain ScopePut
	return json.Unmarshal(b, (*plain)(s))
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
	AuthorizeURL *string     `json:"authorize_url,omitempty"`
	TokenURL     *string     `json:"token_url,omitempty"`
	ClientID     *string     `json:"client_id,omitempty"`
	ClientSecret *string     `json:"client_secret,omitempty"`
	Scopes       *[]ScopePut `json:"scopes,omitempty"`
	// ScopeSeparator is " " (default) or ","; PKCE defaults to true;
	// TokenEndpointAuthMethod is client_secret_post or client_secret_basic,
	// detected when left out.
	ScopeSeparator          *string            `json:"scope_separator,omitempty"`
	AuthorizeParams         *map[string]string `json:"authorize_params,omitempty"`
	PKCE                    *bool              `json:"pkce,omitempty"`
	TokenEndpointAuthMethod *string            `json:"token_endpoint_auth_method,omitempty"`
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
	// Descriptive parts: null or empty when none.
	Description    *string           `json:"description"`
	LogoURL        *string           `json:"logo_url"`
	BrandColor     *string           `json:"brand_color"`
	SourceURL      *string           `json:"source_url"`
	Guide          *Guide            `json:"guide"`
	SettingsFields []SettingsField   `json:"settings_fields"`
	Headers        map[string]string `json:"headers"`
	Verify         *Verify           `json:"verify"`
	CreatedAt      Time              `json:"created_at"`
	UpdatedAt      Time              `json:"updated_at"`
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
	AuthorizeURL string  `json:"authorize_url"`
	TokenURL     string  `json:"token_url"`
	ClientID     string  `json:"client_id"`
	ClientSecret *string `json:"client_secret"` // "********" or null
	Scopes       []Scope `json:"scopes"`
	// The extras: ScopeSeparator " " or ","; TokenEndpointAuthMethod null
	// when detected.
	ScopeSeparator          string            `json:"scope_separator"`
	AuthorizeParams         map[string]string `json:"authorize_params"`
	PKCE                    bool              `json:"pkce"`
	TokenEndpointAuthMethod *string           `json:"token_endpoint_auth_method"`
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
	// Annotations override the MCP tool hints that follow the method
	// (docs/mcp.md).
	Annotations *ActionAnnotations `json:"annotations,omitempty"`
	// Query, Body and BodyInput place the input of an action imported from
	// an OpenAPI document (docs/openapi-import.md).
	Query     map[string]string `json:"query,omitempty"`
	Body      map[string]string `json:"body,omitempty"`
	BodyInput string            `json:"body_input,omitempty"`
	// Approval is "confirm" (every call waits for the user's approval) or
	// "auto"; left out, a DELETE follows the app's
	// approval_default_for_delete and any other method runs at once.
	Approval string `json:"approval,omitempty"`
}

// ActionAnnotations are an action's MCP tool hints; a field left out keeps
// the method's default.
type ActionAnnotations struct {
	ReadOnlyHint    *bool `json:"read_only_hint,omitempty"`
	DestructiveHint *bool `json:"destructive_hint,omitempty"`
	IdempotentHint  *bool `json:"idempotent_hint,omitempty"`
	OpenWorldHint   *bool `json:"open_world_hint,omitempty"`
}

// OpenAPIImport asks for actions made of operations of an OpenAPI
// document: exactly one of Document (a JSON object, or a string of JSON or
// YAML text) and URL.
type OpenAPIImport struct {
	Document   json.RawMessage `json:"document,omitempty"`
	URL        string          `json:"url,omitempty"`
	Operations []string        `json:"operations"`
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
	// Settings are the values of the integration's settings_fields.
	Settings map[string]string `json:"settings"`
	// AccountLabel is who the credential belongs to, from the
	// integration's verify answer ("Connected as …"); null when unknown.
	AccountLabel *string `json:"account_label"`
	// Warning is set on a connect whose credential could not be verified
	// because the provider was unreachable; it is stored all the same.
	Warning *string `json:"warning,omitempty"`
}

// ConnectionImport is the body of PUT /v1/users/{id}/connections/{slug}:
// the credential values by field name; for OAuth2 access_token and
// optionally refresh_token, expires_at (RFC 3339), token_type and scope.
type ConnectionImport struct {
	Credentials map[string]string `json:"credentials"`
	// Settings are the values of the integration's settings_fields.
	Settings map[string]string `json:"settings,omitempty"`
}
