package portico

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Auth types of an integration.
const (
	AuthAPIKey = "api_key"
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2"
	AuthNone   = "none"
)

// AuthTypes lists the auth types in the order documentation shows them.
var AuthTypes = []string{AuthAPIKey, AuthBasic, AuthOAuth2, AuthNone}

// Integration is a third-party tool an app offers its users. The json tags
// are its storage form (the store keeps the definition as one JSON value);
// the wire form lives in package api.
type Integration struct {
	AppID      string     `json:"-"`
	Slug       string     `json:"-"`
	Name       string     `json:"name"`
	Category   string     `json:"category,omitempty"`
	BaseURL    string     `json:"base_url"`
	Template   string     `json:"template,omitempty"`
	Auth       AuthConfig `json:"auth"`
	AccountIDs []string   `json:"account_ids"`
	Actions    []Action   `json:"actions"`
	// The descriptive parts (integrationmeta.go).
	Description    string            `json:"description,omitempty"`
	LogoURL        string            `json:"logo_url,omitempty"`
	BrandColor     string            `json:"brand_color,omitempty"`
	SourceURL      string            `json:"source_url,omitempty"`
	Guide          *Guide            `json:"guide,omitempty"`
	SettingsFields []SettingsField   `json:"settings_fields,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Verify         *Verify           `json:"verify,omitempty"`
	CreatedAt      time.Time         `json:"-"`
	UpdatedAt      time.Time         `json:"-"`
}

// AuthConfig says how a user's credentials are collected and sent upstream.
type AuthConfig struct {
	Type string `json:"type"`
	// Fields are what the user enters (api_key, basic) or extra values kept
	// beside an OAuth2 token.
	Fields []Field `json:"fields"`
	// Inject places the credential in upstream requests. Basic auth has
	// none: the Authorization header is built from username and password.
	Inject *Inject       `json:"inject,omitempty"`
	OAuth2 *OAuth2Config `json:"oauth2,omitempty"`
}

// Field is one credential value a user provides.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Secret fields are entered in password inputs; no value is ever shown.
	Secret bool `json:"secret"`
	// Optional fields may be left out; the others are required.
	Optional bool `json:"optional,omitempty"`
}

// Inject names a header or query parameter and the template of its value,
// with {field} placeholders ({access_token} for OAuth2).
type Inject struct {
	Header string `json:"header,omitempty"`
	Query  string `json:"query,omitempty"`
	Format string `json:"format"`
}

// OAuth2Config is an integration's OAuth2 client. The client secret is not
// part of the stored definition: it is sealed in a column of its own.
type OAuth2Config struct {
	AuthorizeURL string  `json:"authorize_url"`
	TokenURL     string  `json:"token_url"`
	ClientID     string  `json:"client_id"`
	ClientSecret string  `json:"-"` // sealed (ClientSecretAAD); "" when none
	Scopes       []Scope `json:"scopes"`
	// ScopeSeparator joins the scopes in the authorize request: " ", or
	// "," where the provider documents it.
	ScopeSeparator string `json:"scope_separator,omitempty"`
	// AuthorizeParams are sent with the authorize request, e.g.
	// access_type=offline.
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
	// PKCE sends an S256 challenge; nil means true.
	PKCE *bool `json:"pkce,omitempty"`
	// TokenEndpointAuthMethod is how the client authenticates to the token
	// endpoint: TokenAuthPost, TokenAuthBasic, or "" to detect it.
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method,omitempty"`
}

// Action is a named function over the integration's API: its input fills
// the {name} placeholders of Path, and the rest goes to the query string
// (GET, DELETE) or a JSON body. An action with Query, Body or BodyInput
// places its input as they say instead (actions imported from OpenAPI
// documents, docs/openapi-import.md).
type Action struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	InputSchema json.RawMessage `json:"input_schema"`
	// Annotations override the hints an agent sees, which otherwise
	// follow the method (Action.Hints).
	Annotations *ActionAnnotations `json:"annotations,omitempty"`
	// Query maps input properties to the query parameters they are sent
	// as.
	Query map[string]string `json:"query,omitempty"`
	// Body maps input properties to the properties of the JSON body they
	// are sent as.
	Body map[string]string `json:"body,omitempty"`
	// BodyInput names the input property whose value is the whole JSON
	// body.
	BodyInput string `json:"body_input,omitempty"`
	// Approval is ApprovalConfirm when every call waits for the user's
	// approval; "" follows the app's approval_default_for_delete for a
	// DELETE and is ApprovalAuto otherwise.
	Approval string `json:"approval,omitempty"`
}

// Approvals of an action (docs/activity-and-approvals.md).
const (
	ApprovalAuto    = "auto"
	ApprovalConfirm = "confirm"
)

// NeedsApproval reports whether a call of a waits for the user's approval
// under the app's settings.
func (a *Action) NeedsApproval(st AppSettings) bool {
	switch a.Approval {
	case ApprovalConfirm:
		return true
	case ApprovalAuto:
		return false
	}
	return a.Method == "DELETE" && st.ApprovalDefaultForDelete == ApprovalConfirm
}

// ActionAnnotations are the MCP tool hints of an action; nil fields keep
// the method's default.
type ActionAnnotations struct {
	ReadOnlyHint    *bool `json:"read_only_hint,omitempty"`
	DestructiveHint *bool `json:"destructive_hint,omitempty"`
	IdempotentHint  *bool `json:"idempotent_hint,omitempty"`
	OpenWorldHint   *bool `json:"open_world_hint,omitempty"`
}

// ToolHints are an action's hints, settled.
type ToolHints struct {
	ReadOnly, Destructive, Idempotent, OpenWorld bool
}

// Hints are the action's tool hints: GET (and HEAD) read only, DELETE
// destructive, PUT (and DELETE) idempotent, every action open world (it
// reaches a third party's API), each overridden by Annotations.
func (a *Action) Hints() ToolHints {
	h := ToolHints{ReadOnly: a.Method == "GET" || a.Method == "HEAD", Destructive: a.Method == "DELETE",
		Idempotent: a.Method == "PUT" || a.Method == "DELETE" || a.Method == "GET" || a.Method == "HEAD", OpenWorld: true}
	if o := a.Annotations; o != nil {
		for _, f := range []struct {
			v   *bool
			out *bool
		}{{o.ReadOnlyHint, &h.ReadOnly}, {o.DestructiveHint, &h.Destructive}, {o.IdempotentHint, &h.Idempotent}, {o.OpenWorldHint, &h.OpenWorld}} {
			if f.v != nil {
				*f.out = *f.v
			}
		}
	}
	return h
}

// mapped reports an action that places its input by Query, Body and
// BodyInput.
func (a *Action) mapped() bool { return a.Query != nil || a.Body != nil || a.BodyInput != "" }

// Limits of an integration definition.
const (
	MaxIntegrationsPerApp = 500
	MaxFields             = 20
	MaxActions            = 200
	MaxScopes             = 100
	MaxDescriptionLen     = 1024
	MaxInputSchemaSize    = 64 << 10
	// MaxInputSchemaDepth bounds how deeply an input schema's JSON nests:
	// compiling a schema costs time that grows faster than its depth, and
	// the MCP SDK refuses to serve one nested 1 000 levels deep (a tool
	// list with it fails whole). 64 levels hold 30 levels of objects.
	MaxInputSchemaDepth   = 64
	MaxCredentialValueLen = 8 << 10
	// SecretMask stands for a stored client secret on the wire.
	SecretMask = "********"
)

// OAuth2 token keys a connection's credentials may hold.
const (
	TokenAccess    = "access_token"
	TokenRefresh   = "refresh_token"
	TokenExpiresAt = "expires_at"
	TokenType      = "token_type"
	TokenScope     = "scope"
)

var tokenKeys = []string{TokenAccess, TokenRefresh, TokenType, TokenScope, TokenExpiresAt}

var (
	fieldNameRe   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	actionNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)
	identRe       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	headerNameRe  = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
	queryNameRe   = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]{1,64}$`)
)

// Headers an injected credential may not set: they frame the request or
// belong to the connection, and a credential in them would smuggle one.
var forbiddenHeaders = []string{"host", "content-length", "content-type", "transfer-encoding", "connection",
	"keep-alive", "upgrade", "te", "trailer", "expect", "proxy-authorization", "proxy-connection", "forwarded",
	"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"}

var actionMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// CheckSlug accepts 1–64 of a-z, 0-9, _ and -, starting with a letter or
// digit.
func CheckSlug(s string) error {
	if !slugRe.MatchString(s) {
		return Invalidf("slug", "A slug is 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit.")
	}
	return nil
}

// Validate checks a whole definition and normalises it in place (method
// case, default labels, compacted schemas, the default OAuth2 injection).
// allowPrivate admits upstream URLs on loopback and private addresses, as
// --allow-private-upstreams does. Errors are 422s naming the field.
func (in *Integration) Validate(allowPrivate bool) error {
	return in.validate(allowPrivate, nil)
}

// validate is Validate, keeping the compiled input schemas in schemas when
// not nil.
func (in *Integration) validate(allowPrivate bool, schemas *schemaCache) error {
	if err := CheckSlug(in.Slug); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > MaxNameLen || !utf8.ValidString(in.Name) || hasControl(in.Name) {
		return Invalidf("name", "name is required: 1 to %d bytes of text.", MaxNameLen)
	}
	if in.Category != "" && !slugRe.MatchString(in.Category) {
		return Invalidf("category", "category must be a slug such as crm or file-storage.")
	}
	if in.BaseURL == "" {
		return Invalidf("base_url", "base_url is required: the https URL the integration's API paths are relative to.")
	}
	if _, err := placeholders(in.BaseURL); err != nil {
		return Invalidf("base_url", "base_url %s", messageOf(err))
	}
	if err := checkUpstreamURL(standIn(in.BaseURL), allowPrivate, false); err != nil {
		return Invalidf("base_url", "base_url %s", messageOf(err))
	}
	// Every request's path starts with the base URL's path (ResolvePath):
	// that path keeps to the rules of an action's path, so no upstream
	// resolves it to somewhere above itself.
	if base, _ := url.Parse(standIn(in.BaseURL)); base.EscapedPath() != "" {
		if why := pathRefusal(base.EscapedPath()); why != "" {
			return Invalidf("base_url", "base_url's path %s", why)
		}
	}
	in.BaseURL = strings.TrimRight(in.BaseURL, "/")
	ids, err := NormalizeAccountIDs(in.AccountIDs)
	if err != nil {
		return err
	}
	in.AccountIDs = ids
	if err := in.Auth.validate(allowPrivate); err != nil {
		return err
	}
	credentialNames := map[string]bool{}
	for _, f := range in.Auth.Fields {
		credentialNames[f.Name] = true
	}
	if err := in.validateMeta(credentialNames); err != nil {
		return err
	}
	if o := in.Auth.OAuth2; o != nil {
		declared := map[string]bool{}
		for _, f := range in.SettingsFields {
			if !f.Optional {
				declared[f.Name] = true
			}
		}
		for _, u := range []struct{ name, v string }{{"authorize_url", o.AuthorizeURL}, {"token_url", o.TokenURL}} {
			if err := checkTemplateRefs("auth.oauth2."+u.name, u.v, declared, declared); err != nil {
				return err
			}
		}
	}
	if in.Actions == nil {
		in.Actions = []Action{}
	}
	if len(in.Actions) > MaxActions {
		return Invalidf("actions", "At most %d actions.", MaxActions)
	}
	seen := map[string]string{} // tool name → the action's name
	for i := range in.Actions {
		a := &in.Actions[i]
		if err := a.validate(fmtField("actions", i), schemas); err != nil {
			return err
		}
		if err := checkToolName(in.Slug, a.Name, fmtField("actions", i)+".name"); err != nil {
			return err
		}
		tool := ToolName(in.Slug, a.Name)
		switch first, ok := seen[tool]; {
		case ok && first == a.Name:
			return Invalidf(fmtField("actions", i)+".name", "Two actions are named %s: give each its own name.", a.Name)
		case ok:
			return Invalidf(fmtField("actions", i)+".name", "Two actions have the tool name %s (a - in a name reads as _).", tool)
		}
		seen[tool] = a.Name
	}
	return nil
}

func fmtField(list string, i int) string {
	return list + "[" + strconv.Itoa(i) + "]"
}

func (a *AuthConfig) validate(allowPrivate bool) error {
	if !slices.Contains(AuthTypes, a.Type) {
		return Invalidf("auth.type", "auth.type must be one of %s.", strings.Join(AuthTypes, ", "))
	}
	if a.Type != AuthOAuth2 && a.OAuth2 != nil {
		return Invalidf("auth.oauth2", "auth.oauth2 is only for auth.type oauth2.")
	}
	if a.Fields == nil {
		a.Fields = []Field{}
	}
	if a.Type == AuthBasic && len(a.Fields) == 0 {
		a.Fields = []Field{{Name: "username", Label: "Username"}, {Name: "password", Label: "Password", Secret: true}}
	}
	if len(a.Fields) > MaxFields {
		return Invalidf("auth.fields", "At most %d fields.", MaxFields)
	}
	names := map[string]bool{}
	for i := range a.Fields {
		f := &a.Fields[i]
		field := fmtField("auth.fields", i)
		if !fieldNameRe.MatchString(f.Name) {
			return Invalidf(field+".name", "A field name is 1 to 64 of a-z, 0-9 and _, starting with a letter.")
		}
		if names[f.Name] {
			return Invalidf(field+".name", "Two fields are named %q.", f.Name)
		}
		if a.Type == AuthOAuth2 && slices.Contains(tokenKeys, f.Name) {
			return Invalidf(field+".name", "%q is an OAuth2 token key; name the field otherwise.", f.Name)
		}
		names[f.Name] = true
		f.Label = strings.TrimSpace(f.Label)
		if f.Label == "" {
			f.Label = f.Name
		}
		if len(f.Label) > 100 || !utf8.ValidString(f.Label) || hasControl(f.Label) {
			return Invalidf(field+".label", "A label is at most 100 bytes of text.")
		}
	}
	switch a.Type {
	case AuthNone:
		if len(a.Fields) > 0 || a.Inject != nil {
			return Invalidf("auth", "auth.type none takes no fields and no inject.")
		}
		return nil
	case AuthAPIKey:
		if len(a.Fields) == 0 {
			return Invalidf("auth.fields", "auth.type api_key needs at least one field, e.g. {\"name\":\"api_key\",\"label\":\"API key\",\"secret\":true}.")
		}
		if a.Inject == nil {
			return Invalidf("auth.inject", "auth.type api_key needs inject: a header or query parameter with a {field} template.")
		}
	case AuthBasic:
		for _, n := range []string{"username", "password"} {
			if !names[n] {
				return Invalidf("auth.fields", "auth.type basic needs fields named username and password.")
			}
		}
		if a.Inject != nil {
			return Invalidf("auth.inject", "auth.type basic sends an Authorization: Basic header; it takes no inject.")
		}
		return nil
	case AuthOAuth2:
		if a.OAuth2 == nil {
			return Invalidf("auth.oauth2", "auth.type oauth2 needs auth.oauth2 with authorize_url, token_url and client_id.")
		}
		if err := a.OAuth2.validate(allowPrivate); err != nil {
			return err
		}
		if a.Inject == nil {
			a.Inject = &Inject{Header: "Authorization", Format: "Bearer {access_token}"}
		}
		names[TokenAccess], names[TokenType] = true, true
	}
	return a.Inject.validate(names)
}

func (o *OAuth2Config) validate(allowPrivate bool) error {
	for _, u := range []struct{ name, v string }{{"authorize_url", o.AuthorizeURL}, {"token_url", o.TokenURL}} {
		if u.v == "" {
			return Invalidf("auth.oauth2."+u.name, "auth.oauth2.%s is required.", u.name)
		}
		if err := checkUpstreamURL(standIn(u.v), allowPrivate, u.name == "authorize_url"); err != nil {
			return Invalidf("auth.oauth2."+u.name, "%s %s", u.name, messageOf(err))
		}
	}
	if o.ClientID == "" || len(o.ClientID) > 512 || !utf8.ValidString(o.ClientID) || hasControl(o.ClientID) {
		return Invalidf("auth.oauth2.client_id", "auth.oauth2.client_id is required: at most 512 bytes of text.")
	}
	if o.Scopes == nil {
		o.Scopes = []Scope{}
	}
	if len(o.Scopes) > MaxScopes {
		return Invalidf("auth.oauth2.scopes", "At most %d scopes.", MaxScopes)
	}
	return o.validateExtras()
}

// validate checks an injection rule; names are the placeholders it may use.
func (in *Inject) validate(names map[string]bool) error {
	switch {
	case (in.Header == "") == (in.Query == ""):
		return Invalidf("auth.inject", "auth.inject needs exactly one of header and query.")
	case in.Header != "" && !headerNameRe.MatchString(in.Header):
		return Invalidf("auth.inject.header", "auth.inject.header must be an HTTP header name.")
	case in.Header != "" && slices.Contains(forbiddenHeaders, strings.ToLower(in.Header)):
		return Invalidf("auth.inject.header", "A credential cannot be sent in the %s header.", in.Header)
	case in.Query != "" && !queryNameRe.MatchString(in.Query):
		return Invalidf("auth.inject.query", "auth.inject.query must be 1 to 64 of A-Z, a-z, 0-9, _ . [ ] and -.")
	case in.Format == "":
		return Invalidf("auth.inject.format", "auth.inject.format is required, such as \"Bearer {api_key}\".")
	case len(in.Format) > 512 || !utf8.ValidString(in.Format) || hasControl(in.Format):
		return Invalidf("auth.inject.format", "auth.inject.format must be at most 512 bytes of text without control characters (a line break would end the header).")
	}
	used, err := placeholders(in.Format)
	if err != nil {
		return Invalidf("auth.inject.format", "auth.inject.format %s", messageOf(err))
	}
	if len(used) == 0 {
		return Invalidf("auth.inject.format", "auth.inject.format must use a placeholder such as {api_key}.")
	}
	for _, p := range used {
		if !names[p] {
			return Invalidf("auth.inject.format", "auth.inject.format uses {%s}, which is not a declared field.", p)
		}
	}
	return nil
}

// placeholders returns the {name}s of a template; a stray brace or a
// placeholder that is not an identifier is an error.
func placeholders(s string) ([]string, error) {
	var out []string
	rest := placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		out = append(out, m[1:len(m)-1])
		return ""
	})
	if strings.ContainsAny(rest, "{}") {
		return nil, Errorf(CodeValidation, "has an unmatched brace.")
	}
	for _, p := range out {
		if !identRe.MatchString(p) {
			return nil, Errorf(CodeValidation, "has a placeholder {%s} that is not a name.", p)
		}
	}
	return out, nil
}

// validate checks an action; its input schema, compiled, goes into
// schemas when not nil.
func (a *Action) validate(field string, schemas *schemaCache) error {
	if !actionNameRe.MatchString(a.Name) {
		return Invalidf(field+".name", "An action name is 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit.")
	}
	if len(a.Description) > MaxDescriptionLen || !utf8.ValidString(a.Description) || hasControlExceptNewline(a.Description) {
		return Invalidf(field+".description", "A description is at most %d bytes of text.", MaxDescriptionLen)
	}
	if a.Approval != "" && a.Approval != ApprovalAuto && a.Approval != ApprovalConfirm {
		return Invalidf(field+".approval", "approval must be %q or %q.", ApprovalAuto, ApprovalConfirm)
	}
	a.Method = strings.ToUpper(a.Method)
	if !slices.Contains(actionMethods, a.Method) {
		return Invalidf(field+".method", "method must be one of %s.", strings.Join(actionMethods, ", "))
	}
	if err := checkActionPath(a.Path); err != nil {
		return Invalidf(field+".path", "path %s", messageOf(err))
	}
	props, err := normalizeInputSchema(&a.InputSchema)
	if err != nil {
		return Invalidf(field+".input_schema", "input_schema %s", messageOf(err))
	}
	compiled, err := compileSchema(a.InputSchema, true)
	if err != nil {
		where := field + ".input_schema"
		var ce *schemaCompileError
		if errors.As(err, &ce) && ce.at != "" {
			where += "." + ce.at
		}
		return Invalidf(where, "%s %s.", where, err)
	}
	if schemas != nil {
		schemas.put(a.InputSchema, compiled)
	}
	used, _ := placeholders(a.Path)
	for _, p := range used {
		if _, ok := props[p]; !ok {
			return Invalidf(field+".path", "path uses {%s}, which input_schema.properties does not declare.", p)
		}
	}
	return a.validateMapping(field, props, used)
}

// validateMapping checks Query, Body and BodyInput: each names a declared
// input property that no other place takes.
func (a *Action) validateMapping(field string, props map[string]json.RawMessage, inPath []string) error {
	if len(a.Query) == 0 {
		a.Query = nil
	}
	if len(a.Body) == 0 {
		a.Body = nil
	}
	taken := map[string]string{}
	for _, p := range inPath {
		taken[p] = "path"
	}
	claim := func(where, input string) error {
		if _, ok := props[input]; !ok {
			return Invalidf(field+"."+where, "%s names %q, which input_schema.properties does not declare.", where, input)
		}
		if other, ok := taken[input]; ok {
			return Invalidf(field+"."+where, "%s names %q, which %s already takes.", where, input, other)
		}
		taken[input] = where
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(a.Query)) {
		if err := claim("query", k); err != nil {
			return err
		}
		if v := a.Query[k]; v == "" || len(v) > 256 || !utf8.ValidString(v) || hasControl(v) {
			return Invalidf(field+".query", "A query parameter name is 1 to 256 bytes of text.")
		}
	}
	if a.Body != nil && a.BodyInput != "" {
		return Invalidf(field+".body", "An action takes body or body_input, not both.")
	}
	if (a.Body != nil || a.BodyInput != "") && a.Method == "GET" {
		return Invalidf(field+".body", "A GET action sends no body.")
	}
	for _, k := range slices.Sorted(maps.Keys(a.Body)) {
		if err := claim("body", k); err != nil {
			return err
		}
		if v := a.Body[k]; v == "" || len(v) > 256 || !utf8.ValidString(v) {
			return Invalidf(field+".body", "A body property name is 1 to 256 bytes of text.")
		}
	}
	if a.BodyInput != "" {
		return claim("body_input", a.BodyInput)
	}
	return nil
}

func hasControlExceptNewline(s string) bool {
	return hasControl(strings.NewReplacer("\n", "", "\t", "").Replace(s))
}

// checkActionPath accepts an absolute path without query, fragment, white
// space, dot segments or a second leading slash (which would name a host).
func checkActionPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || len(p) > 1024:
		return Errorf(CodeValidation, "must start with a single / and be at most 1024 bytes.")
	case strings.ContainsAny(p, "?#\\ ") || hasControl(p) || !utf8.ValidString(p):
		return Errorf(CodeValidation, "must not contain ?, #, \\, spaces or control characters.")
	}
	for _, seg := range strings.Split(p, "/") {
		if bare, _, _ := strings.Cut(seg, ";"); dotSegment(seg) || strings.EqualFold(bare, "%2e") || strings.EqualFold(bare, "%2e%2e") {
			return Errorf(CodeValidation, "must not contain . or .. segments.")
		}
	}
	if _, err := placeholders(p); err != nil {
		return err
	}
	if _, err := url.PathUnescape(placeholderRe.ReplaceAllString(p, "x")); err != nil {
		return Errorf(CodeValidation, "has a malformed %%-escape.")
	}
	return nil
}

// normalizeInputSchema checks that the schema is a JSON object of type
// "object" (the default when absent) and returns its properties.
func normalizeInputSchema(raw *json.RawMessage) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(*raw)) == 0 || bytes.Equal(bytes.TrimSpace(*raw), []byte("null")) {
		*raw = json.RawMessage(`{"type":"object","properties":{}}`)
		return map[string]json.RawMessage{}, nil
	}
	if len(*raw) > MaxInputSchemaSize {
		return nil, Errorf(CodeValidation, "must be at most %d bytes.", MaxInputSchemaSize)
	}
	if JSONDepth(*raw) > MaxInputSchemaDepth {
		return nil, Errorf(CodeValidation, "must nest at most %d levels deep.", MaxInputSchemaDepth)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, *raw); err != nil || buf.Bytes()[0] != '{' {
		return nil, Errorf(CodeValidation, "must be a JSON Schema object.")
	}
	var top struct {
		Type       json.RawMessage            `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		return nil, Errorf(CodeValidation, "properties must be an object of schemas.")
	}
	if string(top.Type) != `"object"` {
		return nil, Errorf(CodeValidation, `must have "type":"object".`)
	}
	*raw = buf.Bytes()
	if top.Properties == nil {
		top.Properties = map[string]json.RawMessage{}
	}
	return top.Properties, nil
}

// JSONDepth is how deeply b's objects and arrays nest, read from its bytes
// alone (brackets inside strings do not count); malformed JSON is left to
// the parser.
func JSONDepth(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// checkUpstreamURL accepts an absolute https URL without credentials or a
// fragment (a query only when allowQuery). Plain http is accepted only to a
// loopback address, and hosts the address policy refuses (address.go:
// loopback, private, link-local and the other special-purpose ranges) only
// when allowPrivate. Package upstream's guard applies the same policy
// again to every address it dials, after DNS resolution; this check
// refuses what is wrong on its face.
func checkUpstreamURL(s string, allowPrivate, allowQuery bool) error {
	switch {
	case len(s) > MaxURLLength:
		return Errorf(CodeValidation, "must be an https URL of at most %d bytes.", MaxURLLength)
	case hasControl(s) || strings.ContainsAny(s, " \\"):
		return Errorf(CodeValidation, "must not contain white space, a backslash or control characters (%%-encode a space as %%20).")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return Errorf(CodeValidation, "must be an absolute https URL without user info.")
	}
	if u.Fragment != "" || strings.Contains(s, "#") || (!allowQuery && (u.RawQuery != "" || u.ForceQuery)) {
		return Errorf(CodeValidation, "must not have a fragment or a query.")
	}
	host := u.Hostname()
	if why := HostSpellingRefusal(host); why != "" {
		return Errorf(CodeValidation, "names a host that is %s.", why)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Errorf(CodeValidation, "names port %s; a port is 1 to 65535.", p)
		}
	}
	if _, err := netip.ParseAddr(host); err != nil {
		for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
			if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
				return Errorf(CodeValidation, "names the host %q, which is not a host name: labels of 1 to 63 characters joined by dots, none beginning or ending with a hyphen.", host)
			}
		}
	}
	private := isPrivateHost(host)
	switch u.Scheme {
	case "https":
	case "http":
		if !allowPrivate || !isLoopbackHost(host) {
			return Errorf(CodeValidation, "must be https (plain http is accepted only to a loopback address with --allow-private-upstreams).")
		}
	default:
		return Errorf(CodeValidation, "must be an https URL.")
	}
	if private && !allowPrivate {
		return Errorf(CodeValidation, "names a loopback, private or link-local address; those are refused unless the server runs with --allow-private-upstreams.")
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isPrivateHost reports a host that names this machine or an address the
// address policy refuses (address.go).
func isPrivateHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".internal") || strings.HasSuffix(h, ".local") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && AddressRefusal(ip) != ""
}

// ClientSecretAAD binds a sealed OAuth2 client secret to its integration.
func ClientSecretAAD(appID, slug string) string { return "portico:integration:" + appID + ":" + slug }

// IntegrationInput is a PUT of an integration: the fields given replace
// those of the template (when one is named), field by field inside
// auth.oauth2. Nil means "not given".
type IntegrationInput struct {
	Template   string
	Name       *string
	Category   *string
	BaseURL    *string
	Auth       *AuthInput
	AccountIDs *[]string
	Actions    *[]Action
	// OpenAPI adds actions made from operations of an OpenAPI document.
	OpenAPI *OpenAPIInput
	// The descriptive parts; a given Guide or Verify replaces the
	// template's whole.
	Description    *string
	LogoURL        *string
	BrandColor     *string
	SourceURL      *string
	Guide          *Guide
	SettingsFields *[]SettingsField
	Headers        *map[string]string
	Verify         *Verify
	// Force lets a replacement send credentials to a new destination by
	// erasing the connections whose credentials were given for the old
	// one (?force=true; Store.PutIntegration).
	Force bool
}

// AuthInput is the auth part of an IntegrationInput.
type AuthInput struct {
	Type   *string
	Fields *[]Field
	Inject *Inject
	OAuth2 *OAuth2Input
}

// OAuth2Input is the OAuth2 part of an AuthInput. ClientSecret is the
// plaintext secret; nil or SecretMask keeps the secret already stored.
type OAuth2Input struct {
	AuthorizeURL *string
	TokenURL     *string
	ClientID     *string
	ClientSecret *string
	Scopes       *[]Scope
	// The catalogue's extras (OAuth2Config).
	ScopeSeparator          *string
	AuthorizeParams         *map[string]string
	PKCE                    *bool
	TokenEndpointAuthMethod *string
}

// build merges in over its template into a definition (not yet valid).
func (in *IntegrationInput) build(appID, slug string) (*Integration, error) {
	out := &Integration{AppID: appID, Slug: slug}
	if in.Template != "" {
		t, ok := Template(in.Template)
		if !ok {
			return nil, Invalidf("template", "There is no template %q; GET /v1/catalog lists the catalogue.", Echo(in.Template))
		}
		*out = t
		out.AppID, out.Slug = appID, slug
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&out.Name, in.Name)
	set(&out.Category, in.Category)
	set(&out.BaseURL, in.BaseURL)
	set(&out.Description, in.Description)
	set(&out.LogoURL, in.LogoURL)
	set(&out.BrandColor, in.BrandColor)
	set(&out.SourceURL, in.SourceURL)
	if in.Guide != nil {
		g := Guide{Steps: append([]string{}, in.Guide.Steps...), URL: in.Guide.URL}
		out.Guide = &g
	}
	if in.SettingsFields != nil {
		out.SettingsFields = append([]SettingsField{}, *in.SettingsFields...)
	}
	if in.Headers != nil {
		out.Headers = maps.Clone(*in.Headers)
	}
	if in.Verify != nil {
		v := *in.Verify
		out.Verify = &v
	}
	if in.AccountIDs != nil {
		out.AccountIDs = append([]string{}, *in.AccountIDs...)
	}
	if in.Actions != nil {
		out.Actions = append([]Action{}, *in.Actions...)
	}
	if a := in.Auth; a != nil {
		// Another auth type than the template's discards the template's
		// auth as a whole: its fields or OAuth2 endpoints would not fit.
		if a.Type != nil && *a.Type != out.Auth.Type {
			out.Auth = AuthConfig{Type: *a.Type}
		}
		if a.Fields != nil {
			out.Auth.Fields = append([]Field{}, *a.Fields...)
		}
		if a.Inject != nil {
			inj := *a.Inject
			out.Auth.Inject = &inj
		}
		if o := a.OAuth2; o != nil {
			cfg := OAuth2Config{}
			if out.Auth.OAuth2 != nil {
				cfg = *out.Auth.OAuth2
			}
			set(&cfg.AuthorizeURL, o.AuthorizeURL)
			set(&cfg.TokenURL, o.TokenURL)
			set(&cfg.ClientID, o.ClientID)
			if o.Scopes != nil {
				cfg.Scopes = append([]Scope{}, *o.Scopes...)
			}
			set(&cfg.ScopeSeparator, o.ScopeSeparator)
			set(&cfg.TokenEndpointAuthMethod, o.TokenEndpointAuthMethod)
			if o.AuthorizeParams != nil {
				cfg.AuthorizeParams = maps.Clone(*o.AuthorizeParams)
			}
			if o.PKCE != nil {
				pkce := *o.PKCE
				cfg.PKCE = &pkce
			}
			out.Auth.OAuth2 = &cfg
		}
	}
	return out, nil
}

// PutIntegration creates or replaces the integration slug of an app from
// in, merged over its template. The client secret is sealed; omitted or
// masked, the one already stored is kept. It reports whether the
// integration was created.
func (s *Service) PutIntegration(ctx context.Context, appID, slug string, in IntegrationInput) (*Integration, bool, error) {
	if err := CheckSlug(slug); err != nil {
		return nil, false, err
	}
	integ, err := in.build(appID, slug)
	if err != nil {
		return nil, false, err
	}
	handWritten := len(integ.Actions)
	if in.OpenAPI != nil {
		if err := s.addOpenAPIActions(ctx, integ, in.OpenAPI); err != nil {
			return nil, false, err
		}
	}
	if err := integ.validate(s.AllowPrivateUpstreams, &s.schemas); err != nil {
		return nil, false, importedActionError(err, handWritten, in.OpenAPI)
	}
	if o := integ.Auth.OAuth2; o != nil {
		var secret *string
		if in.Auth != nil && in.Auth.OAuth2 != nil {
			secret = in.Auth.OAuth2.ClientSecret
		}
		switch {
		case secret == nil || *secret == SecretMask:
			old, err := s.store.FindIntegration(ctx, appID, slug)
			if err != nil && ErrorCode(err) != CodeNotFound {
				return nil, false, err
			}
			if old != nil && old.Auth.OAuth2 != nil {
				o.ClientSecret = old.Auth.OAuth2.ClientSecret
				if to, from := origin(o.TokenURL), origin(old.Auth.OAuth2.TokenURL); o.ClientSecret != "" && to != from {
					return nil, false, Invalidf("auth.oauth2.client_secret", "The token endpoint moves from %s to %s: send the client secret again, since the stored one was given for %s.", from, to, from)
				}
			}
			if secret != nil && o.ClientSecret == "" {
				return nil, false, Invalidf("auth.oauth2.client_secret", "No client secret is stored to keep; send the client secret itself.")
			}
		case *secret == "":
			o.ClientSecret = ""
		default:
			if len(*secret) > 1024 || hasControl(*secret) || !utf8.ValidString(*secret) {
				return nil, false, Invalidf("auth.oauth2.client_secret", "auth.oauth2.client_secret must be at most 1024 bytes of text.")
			}
			sealed, err := s.Sealer.Seal([]byte(*secret), ClientSecretAAD(appID, slug))
			if err != nil {
				return nil, false, err
			}
			o.ClientSecret = sealed
		}
	}
	created, err := s.store.PutIntegration(ctx, integ, in.Force)
	if err != nil {
		return nil, false, err
	}
	return integ, created, nil
}

// NewDestinations lists the origins in sends its users' credentials to
// (its base URL's, and its OAuth2 token endpoint's) that old did not:
// connections made under old were given for old's (docs/perform.md,
// "Where credentials go").
func (in *Integration) NewDestinations(old *Integration) []string {
	dests := func(i *Integration) []string {
		d := []string{origin(i.BaseURL)}
		if i.Auth.OAuth2 != nil {
			d = append(d, origin(i.Auth.OAuth2.TokenURL))
		}
		return d
	}
	was := dests(old)
	var out []string
	for _, o := range dests(in) {
		if !slices.Contains(was, o) && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// origin is the scheme and host (with port) of an absolute URL, lower
// case; read as text, since a base URL may hold {placeholders} of
// connection settings in its host.
func origin(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	return strings.ToLower(scheme + "://" + host)
}

// ListIntegrations returns a page of an app's integrations, oldest first.
func (s *Service) ListIntegrations(ctx context.Context, appID string, r PageRequest) (Page[Integration], error) {
	return paginate(s.Pages, "integrations\x00"+appID, r, func(i Integration) Cursor { return Cursor{i.CreatedAt, i.Slug} },
		func(q ListQuery) ([]Integration, error) { return s.store.ListIntegrations(ctx, appID, q) })
}

// DeleteIntegration deletes an integration. While users still have
// connections to it that are not revoked it refuses with CodeConflict,
// unless force, which deletes those connections and their credentials too.
// Revoked connections hold no credentials and go with the integration.
func (s *Service) DeleteIntegration(ctx context.Context, appID, slug string, force bool) error {
	return s.store.DeleteIntegration(ctx, appID, slug, force)
}

// OAuth2ClientSecret opens an integration's client secret ("" when it has
// none), for the token exchange of the hosted page and token refreshes.
func (s *Service) OAuth2ClientSecret(integ *Integration) (string, error) {
	if integ.Auth.OAuth2 == nil || integ.Auth.OAuth2.ClientSecret == "" {
		return "", nil
	}
	pt, err := s.Sealer.Open(integ.Auth.OAuth2.ClientSecret, ClientSecretAAD(integ.AppID, integ.Slug))
	if err != nil {
		return "", undecryptable(err)
	}
	return string(pt), nil
}

// VisibleTo reports whether a user may connect the integration: it is not
// restricted to accounts, or the user is a member of one of them. A nil
// user (one not created yet) is in no account.
func (in *Integration) VisibleTo(u *User) bool {
	if len(in.AccountIDs) == 0 {
		return true
	}
	if u == nil {
		return false
	}
	for _, a := range u.AccountIDs {
		if slices.Contains(in.AccountIDs, a) {
			return true
		}
	}
	return false
}

// messageOf is the client-safe message of a check's error, to embed in
// another (Error() would prefix the code).
func messageOf(err error) string { return AsError(err).Message }

// importedActionError names the operation an imported action came from
// when its check refused it: the request has no actions[i] past its own
// (docs/openapi-import.md, "What is refused").
func importedActionError(err error, handWritten int, in *OpenAPIInput) error {
	e := AsError(err)
	rest, ok := strings.CutPrefix(e.Field, "actions[")
	if e.Code != CodeValidation || !ok || in == nil {
		return err
	}
	n, _, ok := strings.Cut(rest, "]")
	i, convErr := strconv.Atoi(n)
	if !ok || convErr != nil || i < handWritten || i-handWritten >= len(in.Operations) {
		return err
	}
	op := i - handWritten
	return Invalidf(fmtField("openapi.operations", op), "Operation %s cannot be an action: %s", strconv.Quote(in.Operations[op]), e.Message)
}
