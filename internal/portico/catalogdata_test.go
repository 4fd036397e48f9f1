package portico

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The catalogue data (docs/integrations.md): one JSON file per provider
// in catalog/, named after its slug. These types mirror the file format so
// that a field the format does not know is refused.

type catalogFile struct {
	Slug           string           `json:"slug"`
	Name           string           `json:"name"`
	Category       string           `json:"category"`
	Description    string           `json:"description"`
	BrandColor     string           `json:"brand_color,omitempty"`
	LogoURL        string           `json:"logo_url,omitempty"`
	SourceURL      string           `json:"source_url"`
	Sources        []catalogSource  `json:"sources,omitempty"`
	BaseURL        string           `json:"base_url"`
	SettingsFields []catalogSetting `json:"settings_fields,omitempty"`
	// Headers are sent with every request, e.g. an API version a provider
	// requires (Notion-Version); values may hold {setting} placeholders.
	Headers map[string]string `json:"headers,omitempty"`
	Auth    catalogAuth       `json:"auth"`
	Guide   *catalogGuide     `json:"guide,omitempty"`
	Verify  *catalogVerify    `json:"verify,omitempty"`
	Actions []catalogActionDT `json:"actions"`
}

type catalogSource struct {
	URL   string `json:"url"`
	Facts string `json:"facts"`
}

type catalogSetting struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Pattern     string `json:"pattern,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
	Optional    bool   `json:"optional,omitempty"`
}

type catalogAuth struct {
	Type   string         `json:"type"`
	OAuth2 *catalogOAuth2 `json:"oauth2,omitempty"`
	Fields []Field        `json:"fields,omitempty"`
	Inject *Inject        `json:"inject,omitempty"`
}

type catalogOAuth2 struct {
	AuthorizeURL    string            `json:"authorize_url"`
	TokenURL        string            `json:"token_url"`
	Scopes          []catalogScope    `json:"scopes"`
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
	// ScopeSeparator joins the scopes in the authorize request, " " unless
	// the provider documents another (Linear: ",").
	ScopeSeparator          string `json:"scope_separator,omitempty"`
	PKCE                    *bool  `json:"pkce"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
}

type catalogScope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type catalogGuide struct {
	Steps []string `json:"steps"`
	URL   string   `json:"url"`
}

type catalogVerify struct {
	Method         string `json:"method"`
	Path           string `json:"path"`
	ExpectedStatus int    `json:"expected_status"`
	LabelPointer   string `json:"label_pointer,omitempty"`
}

type catalogActionDT struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// catalogCategories is the fixed list of categories (docs/integrations.md).
var catalogCategories = []string{"crm", "ticketing", "code", "communication", "knowledge-base", "file-storage",
	"calendar", "email", "accounting", "payments", "marketing", "analytics", "ai", "identity"}

var (
	catalogActionNameRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	catalogToolNameRe   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	catalogColorRe      = regexp.MustCompile(`^#[0-9a-f]{6}$`)
	catalogPointerRe    = regexp.MustCompile(`^(?:/(?:[^~/]|~[01])*)*$`)
	catalogHoleRe       = regexp.MustCompile(`\$?\{[^{}]+\}`)
)

func loadCatalogData(t *testing.T) map[string]catalogFile {
	t.Helper()
	entries, err := os.ReadDir("catalog")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]catalogFile{}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			t.Errorf("catalog/%s: only <slug>.json files belong here", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join("catalog", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var f catalogFile
		if err := dec.Decode(&f); err != nil {
			t.Errorf("catalog/%s: %v", e.Name(), err)
			continue
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Errorf("catalog/%s: data after the object", e.Name())
			continue
		}
		if want := strings.TrimSuffix(e.Name(), ".json"); f.Slug != want {
			t.Errorf("catalog/%s: slug %q, want the file name %q", e.Name(), f.Slug, want)
		}
		out[f.Slug] = f
	}
	return out
}

type catalogFacts struct {
	Providers map[string]struct {
		AuthorizeURL []string `json:"authorize_url"`
		TokenURL     []string `json:"token_url"`
		Aliases      []string `json:"aliases"`
	} `json:"providers"`
}

// factsFor returns the documented authorize and token URLs of a slug, by
// key or alias.
func (f catalogFacts) factsFor(slug string) (authorize, token []string, ok bool) {
	for key, p := range f.Providers {
		if key == slug || slices.Contains(p.Aliases, slug) {
			return p.AuthorizeURL, p.TokenURL, true
		}
	}
	return nil, nil, false
}

// catalogHole stands for a placeholder in a URL being compared.
const catalogHole = "\x00"

// catalogURLParts splits a URL into its lower-cased scheme, its host labels
// and its path segments, without query, fragment or trailing slash.
func catalogURLParts(raw string) (scheme string, host, path []string) {
	// A placeholder may hold dots (${connectionConfig.subdomain}): it is
	// replaced by a hole before the URL is split.
	raw = catalogHoleRe.ReplaceAllString(raw, catalogHole)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	raw = strings.TrimRight(raw, "/")
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, raw = strings.ToLower(raw[:i]), raw[i+3:]
	}
	hostPart, pathPart, _ := strings.Cut(raw, "/")
	host = strings.Split(strings.ToLower(hostPart), ".")
	if pathPart != "" {
		path = strings.Split(pathPart, "/")
	}
	return scheme, host, path
}

// catalogURLMatch compares two URLs as facts.json's "_about" says: without
// query, fragment and trailing slash, scheme and host lower-cased, a
// placeholder on either side standing for one host label or path segment.
func catalogURLMatch(a, b string) bool {
	sa, ha, pa := catalogURLParts(a)
	sb, hb, pb := catalogURLParts(b)
	if sa != sb {
		return false
	}
	same := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] && x[i] != catalogHole && y[i] != catalogHole {
				return false
			}
		}
		return true
	}
	return same(ha, hb) && same(pa, pb)
}

func TestCatalogData_URLMatch(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://github.com/login/oauth/authorize", "https://GitHub.com/login/oauth/authorize/?x=1#f", true},
		{"https://{subdomain}.zendesk.com/oauth/tokens", "https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens", true},
		{"https://login.microsoftonline.com/common/oauth2/v2.0/token", "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token", true},
		{"https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", false},
		{"http://github.com/login/oauth/authorize", "https://github.com/login/oauth/authorize", false},
		{"https://a.{x}.com/p", "https://a.com/p", false},
		{"https://api.close.com/oauth2/token", "https://api.close.com/oauth2/token/", true},
	} {
		if got := catalogURLMatch(c.a, c.b); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func catalogHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// catalogHTTPSTemplate accepts an https URL whose {placeholders} are all
// declared settings fields.
func catalogHTTPSTemplate(t *testing.T, where, s string, settings map[string]bool) {
	t.Helper()
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		if !settings[m[1]] {
			t.Errorf("%s %q: {%s} is not a settings field", where, s, m[1])
		}
	}
	if !catalogHTTPS(placeholderRe.ReplaceAllString(s, "x")) {
		t.Errorf("%s %q is not an https URL", where, s)
	}
}

func TestCatalogData(t *testing.T) {
	files := loadCatalogData(t)
	b, err := os.ReadFile(filepath.Join("testdata", "facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var facts catalogFacts
	if err := json.Unmarshal(b, &facts); err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Errorf("%d templates; the catalogue promises at least 60", len(files))
	}
	categories := map[string]bool{}
	tools := map[string]string{}
	for _, slug := range slices.Sorted(maps.Keys(files)) {
		f := files[slug]
		t.Run(slug, func(t *testing.T) {
			checkCatalogFile(t, f, facts)
		})
		categories[f.Category] = true
		for _, a := range f.Actions {
			tool := slug + ToolSeparator + a.Name
			if !catalogToolNameRe.MatchString(tool) {
				t.Errorf("%s: tool name %q is not a valid MCP tool name", slug, tool)
			}
			if other, dup := tools[tool]; dup {
				t.Errorf("%s: tool %q collides with one of %s", slug, tool, other)
			}
			tools[tool] = slug
		}
	}
	if len(categories) < 10 {
		t.Errorf("%d categories; the catalogue promises at least 10", len(categories))
	}
	// The built-in templates keep their slugs and action names.
	for slug, in := range catalog {
		f, ok := files[slug]
		if !ok {
			t.Errorf("built-in template %s has no catalog/%s.json", slug, slug)
			continue
		}
		for _, a := range in.Actions {
			if !slices.ContainsFunc(f.Actions, func(b catalogActionDT) bool { return b.Name == a.Name }) {
				t.Errorf("catalog/%s.json lacks the built-in action %s", slug, a.Name)
			}
		}
	}
}

func checkCatalogFile(t *testing.T, f catalogFile, facts catalogFacts) {
	if !slugRe.MatchString(f.Slug) {
		t.Errorf("slug %q is not a slug", f.Slug)
	}
	if strings.TrimSpace(f.Name) == "" {
		t.Error("name is empty")
	}
	if !slices.Contains(catalogCategories, f.Category) {
		t.Errorf("category %q is not one of %v", f.Category, catalogCategories)
	}
	if d := f.Description; strings.TrimSpace(d) == "" || strings.ContainsAny(d, "\n\r") || len(d) > 160 {
		t.Errorf("description %q must be one line of at most 160 bytes", d)
	}
	if f.BrandColor != "" && !catalogColorRe.MatchString(f.BrandColor) {
		t.Errorf("brand_color %q is not #rrggbb in lower case", f.BrandColor)
	}
	if f.LogoURL != "" && !catalogHTTPS(f.LogoURL) {
		t.Errorf("logo_url %q is not https", f.LogoURL)
	}
	if !catalogHTTPS(f.SourceURL) {
		t.Errorf("source_url %q is not https", f.SourceURL)
	}
	for i, s := range f.Sources {
		if !catalogHTTPS(s.URL) || strings.TrimSpace(s.Facts) == "" {
			t.Errorf("sources[%d]: an https url and the facts taken from it are required", i)
		}
	}

	settings := map[string]bool{}
	for i, s := range f.SettingsFields {
		if !fieldNameRe.MatchString(s.Name) || settings[s.Name] || strings.TrimSpace(s.Label) == "" {
			t.Errorf("settings_fields[%d]: a unique field name and a label are required", i)
		}
		if s.Pattern != "" {
			if _, err := regexp.Compile(s.Pattern); err != nil {
				t.Errorf("settings_fields[%d].pattern: %v", i, err)
			}
		}
		settings[s.Name] = true
	}
	catalogHTTPSTemplate(t, "base_url", f.BaseURL, settings)

	for name, value := range f.Headers {
		if !headerNameRe.MatchString(name) || slices.Contains(forbiddenHeaders, strings.ToLower(name)) ||
			strings.EqualFold(name, "Authorization") || (f.Auth.Inject != nil && strings.EqualFold(name, f.Auth.Inject.Header)) {
			t.Errorf("headers: %q may not be set", name)
		}
		if strings.TrimSpace(value) == "" || strings.ContainsAny(value, "\r\n") {
			t.Errorf("headers.%s: one line of text", name)
		}
		for _, m := range placeholderRe.FindAllStringSubmatch(value, -1) {
			if !settings[m[1]] {
				t.Errorf("headers.%s %q: {%s} is not a settings field", name, value, m[1])
			}
		}
	}

	checkCatalogAuth(t, f, settings, facts)

	if f.Auth.Type == AuthAPIKey || f.Auth.Type == AuthBasic {
		if f.Guide == nil || len(f.Guide.Steps) < 2 || !catalogHTTPS(f.Guide.URL) {
			t.Errorf("auth %s needs a guide with at least 2 steps and an https url", f.Auth.Type)
		}
	}
	if g := f.Guide; g != nil {
		for i, s := range g.Steps {
			if strings.TrimSpace(s) == "" {
				t.Errorf("guide.steps[%d] is empty", i)
			}
		}
		if !catalogHTTPS(g.URL) {
			t.Errorf("guide.url %q is not https", g.URL)
		}
	}
	if v := f.Verify; v != nil {
		if !slices.Contains([]string{"GET", "POST"}, v.Method) {
			t.Errorf("verify.method %q: GET or POST", v.Method)
		}
		if err := checkRequestPath(placeholderRe.ReplaceAllString(v.Path, "x")); err != nil {
			t.Errorf("verify.path %q: %v", v.Path, err)
		}
		for _, m := range placeholderRe.FindAllStringSubmatch(v.Path, -1) {
			if !settings[m[1]] {
				t.Errorf("verify.path %q: {%s} is not a settings field", v.Path, m[1])
			}
		}
		if v.ExpectedStatus < 200 || v.ExpectedStatus > 299 {
			t.Errorf("verify.expected_status %d is not a 2xx", v.ExpectedStatus)
		}
		// A provider without a "who am I" answer is verified by a cheap
		// authenticated read with no label.
		if v.LabelPointer != "" && !catalogPointerRe.MatchString(v.LabelPointer) {
			t.Errorf("verify.label_pointer %q is not an RFC 6901 pointer into the answer", v.LabelPointer)
		}
	}

	// A sign-in template (identity) may have a single action, its scopes
	// reaching nothing but the account's own profile; so may a GraphQL-only
	// API, whose one endpoint takes any query.
	least := 2
	if f.Category == "identity" || (len(f.Actions) == 1 && f.Actions[0].Name == "graphql" && f.Actions[0].Method == "POST") {
		least = 1
	}
	if n := len(f.Actions); n < least || n > 5 {
		t.Errorf("%d actions; a template has %d to 5", n, least)
	}
	names := map[string]bool{}
	for i, a := range f.Actions {
		checkCatalogAction(t, i, a)
		if names[a.Name] {
			t.Errorf("actions[%d]: two actions are named %q", i, a.Name)
		}
		names[a.Name] = true
	}
}

func checkCatalogAuth(t *testing.T, f catalogFile, settings map[string]bool, facts catalogFacts) {
	a := f.Auth
	fields := map[string]bool{}
	for i, fl := range a.Fields {
		if !fieldNameRe.MatchString(fl.Name) || fields[fl.Name] || strings.TrimSpace(fl.Label) == "" {
			t.Errorf("auth.fields[%d]: a unique field name and a label are required", i)
		}
		fields[fl.Name] = true
	}
	switch a.Type {
	case AuthOAuth2:
		o := a.OAuth2
		if o == nil {
			t.Fatal("auth.oauth2 is required for oauth2")
		}
		catalogHTTPSTemplate(t, "auth.oauth2.authorize_url", o.AuthorizeURL, settings)
		catalogHTTPSTemplate(t, "auth.oauth2.token_url", o.TokenURL, settings)
		if strings.ContainsAny(o.AuthorizeURL, "?#") {
			t.Errorf("auth.oauth2.authorize_url %q: extra parameters go in authorize_params", o.AuthorizeURL)
		}
		seen := map[string]bool{}
		for i, s := range o.Scopes {
			if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Description) == "" || seen[s.Name] {
				t.Errorf("auth.oauth2.scopes[%d]: a unique name and a plain-words description are required", i)
			}
			seen[s.Name] = true
		}
		if o.ScopeSeparator != "" && o.ScopeSeparator != "," && o.ScopeSeparator != " " {
			t.Errorf("auth.oauth2.scope_separator %q: \" \" or \",\"", o.ScopeSeparator)
		}
		if o.PKCE == nil {
			t.Error("auth.oauth2.pkce must say true or false")
		}
		if !slices.Contains([]string{"client_secret_post", "client_secret_basic"}, o.TokenEndpointAuthMethod) {
			t.Errorf("auth.oauth2.token_endpoint_auth_method %q", o.TokenEndpointAuthMethod)
		}
		if authorize, token, ok := facts.factsFor(f.Slug); ok {
			if !slices.ContainsFunc(authorize, func(u string) bool { return catalogURLMatch(o.AuthorizeURL, u) }) {
				t.Errorf("authorize_url %q is none of the documented %v", o.AuthorizeURL, authorize)
			}
			if !slices.ContainsFunc(token, func(u string) bool { return catalogURLMatch(o.TokenURL, u) }) {
				t.Errorf("token_url %q is none of the documented %v", o.TokenURL, token)
			}
		}
		fields[TokenAccess] = true
	case AuthAPIKey, AuthBasic, AuthNone:
		if a.OAuth2 != nil {
			t.Errorf("auth.oauth2 is only for oauth2, not %s", a.Type)
		}
	default:
		t.Errorf("auth.type %q", a.Type)
	}
	if a.Type == AuthBasic && (!fields["username"] || !fields["password"]) {
		t.Error("basic auth takes the fields username and password")
	}
	if a.Type == AuthNone && (len(a.Fields) > 0 || a.Inject != nil) {
		t.Error("auth none takes no fields and no inject")
	}
	if a.Type == AuthOAuth2 || a.Type == AuthAPIKey {
		in := a.Inject
		if in == nil {
			t.Fatalf("auth %s needs inject", a.Type)
		}
		if (in.Header == "") == (in.Query == "") {
			t.Error("auth.inject names a header or a query parameter, not both")
		}
		if in.Header != "" && (!headerNameRe.MatchString(in.Header) || slices.Contains(forbiddenHeaders, strings.ToLower(in.Header))) {
			t.Errorf("auth.inject.header %q", in.Header)
		}
		if in.Query != "" && !queryNameRe.MatchString(in.Query) {
			t.Errorf("auth.inject.query %q", in.Query)
		}
		holes := placeholderRe.FindAllStringSubmatch(in.Format, -1)
		if len(holes) == 0 {
			t.Errorf("auth.inject.format %q places no credential", in.Format)
		}
		for _, m := range holes {
			if !fields[m[1]] {
				t.Errorf("auth.inject.format %q: {%s} is not a credential field", in.Format, m[1])
			}
		}
	}
}

func checkCatalogAction(t *testing.T, i int, a catalogActionDT) {
	where := fmtField("actions", i)
	if len(a.Name) > 40 || !catalogActionNameRe.MatchString(a.Name) {
		t.Errorf("%s.name %q: lower-kebab-case, at most 40 characters", where, a.Name)
	}
	if strings.TrimSpace(a.Description) == "" {
		t.Errorf("%s.description is empty", where)
	}
	if !slices.Contains(actionMethods, a.Method) {
		t.Errorf("%s.method %q", where, a.Method)
	}
	if err := checkRequestPath(placeholderRe.ReplaceAllString(a.Path, "x")); err != nil {
		t.Errorf("%s.path %q: %v", where, a.Path, err)
	}
	var s struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(a.InputSchema, &s); err != nil || s.Type != "object" {
		t.Errorf("%s.input_schema must be a JSON Schema of type object", where)
		return
	}
	for name, p := range s.Properties {
		var prop map[string]any
		if err := json.Unmarshal(p, &prop); err != nil {
			t.Errorf("%s.input_schema.properties.%s is not a schema object", where, name)
		}
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			t.Errorf("%s.input_schema requires %q, which is not a property", where, r)
		}
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(a.Path, -1) {
		if !identRe.MatchString(m[1]) {
			t.Errorf("%s.path %q: {%s} is not an identifier", where, a.Path, m[1])
		}
		if _, ok := s.Properties[m[1]]; !ok || !slices.Contains(s.Required, m[1]) {
			t.Errorf("%s.path %q: {%s} must be a required property of the input schema", where, a.Path, m[1])
		}
	}
}
