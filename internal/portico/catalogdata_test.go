package portico

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// The catalogue data (docs/catalog-data.md): one JSON file per provider
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

// catalogCategories is the fixed list of categories (docs/catalog-data.md).
var catalogCategories = []string{"crm", "ticketing", "code", "communication", "knowledge-base", "file-storage",
	"calendar", "email", "accounting", "payments", "marketing", "analytics", "ai", "identity"}

var (
	catalogActionNameRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
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
		f, err := parseCatalogFile(b)
		if err != nil {
			t.Errorf("catalog/%s: %v", e.Name(), err)
			continue
		}
		if want := strings.TrimSuffix(e.Name(), ".json"); f.Slug != want {
			t.Errorf("catalog/%s: slug %q, want the file name %q", e.Name(), f.Slug, want)
		}
		out[f.Slug] = f
	}
	return out
}

// parseCatalogFile decodes one file strictly: a field the format does not
// know, or anything after the object, is an error.
func parseCatalogFile(b []byte) (catalogFile, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f catalogFile
	if err := dec.Decode(&f); err != nil {
		return catalogFile{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return catalogFile{}, errors.New("data after the object")
	}
	return f, nil
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

// catalogProblems collects what is wrong with a template, so that a check
// can be run on a deliberately broken one.
type catalogProblems []string

func (p *catalogProblems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// catalogHTTPSTemplate accepts an https URL whose {placeholders} are all
// declared settings fields.
func catalogHTTPSTemplate(p *catalogProblems, where, s string, settings map[string]bool) {
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		if !settings[m[1]] {
			p.add("%s %q: {%s} is not a settings field", where, s, m[1])
		}
	}
	if !catalogHTTPS(placeholderRe.ReplaceAllString(s, "x")) {
		p.add("%s %q is not an https URL", where, s)
	}
}

func loadCatalogFacts(t *testing.T) catalogFacts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var facts catalogFacts
	if err := json.Unmarshal(b, &facts); err != nil {
		t.Fatal(err)
	}
	return facts
}

func TestCatalogData(t *testing.T) {
	files := loadCatalogData(t)
	facts := loadCatalogFacts(t)
	if len(files) < 60 {
		t.Errorf("%d templates; the catalogue promises at least 60", len(files))
	}
	categories := map[string]bool{}
	tools := map[string]string{}
	for _, slug := range slices.Sorted(maps.Keys(files)) {
		f := files[slug]
		t.Run(slug, func(t *testing.T) {
			var p catalogProblems
			checkCatalogFile(&p, f, facts)
			for _, msg := range p {
				t.Error(msg)
			}
		})
		categories[f.Category] = true
		for _, a := range f.Actions {
			tool := ToolName(slug, a.Name)
			if !toolNameRe.MatchString(tool) {
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
}

func checkCatalogFile(p *catalogProblems, f catalogFile, facts catalogFacts) {
	if !slugRe.MatchString(f.Slug) {
		p.add("slug %q is not a slug", f.Slug)
	}
	if strings.TrimSpace(f.Name) == "" {
		p.add("name is empty")
	}
	if !slices.Contains(catalogCategories, f.Category) {
		p.add("category %q is not one of %v", f.Category, catalogCategories)
	}
	if d := f.Description; strings.TrimSpace(d) == "" || strings.ContainsAny(d, "\n\r") || len(d) > 160 {
		p.add("description %q must be one line of at most 160 bytes", d)
	}
	if f.BrandColor != "" && !catalogColorRe.MatchString(f.BrandColor) {
		p.add("brand_color %q is not #rrggbb in lower case", f.BrandColor)
	}
	if f.LogoURL != "" && !catalogHTTPS(f.LogoURL) {
		p.add("logo_url %q is not https", f.LogoURL)
	}
	if !catalogHTTPS(f.SourceURL) {
		p.add("source_url %q is not https", f.SourceURL)
	}
	for i, s := range f.Sources {
		if !catalogHTTPS(s.URL) || strings.TrimSpace(s.Facts) == "" {
			p.add("sources[%d]: an https url and the facts taken from it are required", i)
		}
	}

	settings := map[string]bool{}
	for i, s := range f.SettingsFields {
		if !fieldNameRe.MatchString(s.Name) || settings[s.Name] || strings.TrimSpace(s.Label) == "" {
			p.add("settings_fields[%d]: a unique field name and a label are required", i)
		}
		if s.Pattern != "" {
			if _, err := regexp.Compile(s.Pattern); err != nil {
				p.add("settings_fields[%d].pattern: %v", i, err)
			}
		}
		settings[s.Name] = true
	}
	catalogHTTPSTemplate(p, "base_url", f.BaseURL, settings)

	for name, value := range f.Headers {
		if !headerNameRe.MatchString(name) || slices.Contains(forbiddenHeaders, strings.ToLower(name)) ||
			strings.EqualFold(name, "Authorization") || (f.Auth.Inject != nil && strings.EqualFold(name, f.Auth.Inject.Header)) {
			p.add("headers: %q may not be set", name)
		}
		if strings.TrimSpace(value) == "" || strings.ContainsAny(value, "\r\n") {
			p.add("headers.%s: one line of text", name)
		}
		for _, m := range placeholderRe.FindAllStringSubmatch(value, -1) {
			if !settings[m[1]] {
				p.add("headers.%s %q: {%s} is not a settings field", name, value, m[1])
			}
		}
	}

	checkCatalogAuth(p, f, settings, facts)

	if f.Auth.Type == AuthAPIKey || f.Auth.Type == AuthBasic {
		if f.Guide == nil || len(f.Guide.Steps) < 2 || !catalogHTTPS(f.Guide.URL) {
			p.add("auth %s needs a guide with at least 2 steps and an https url", f.Auth.Type)
		}
	}
	if g := f.Guide; g != nil {
		for i, s := range g.Steps {
			if strings.TrimSpace(s) == "" {
				p.add("guide.steps[%d] is empty", i)
			}
		}
		if !catalogHTTPS(g.URL) {
			p.add("guide.url %q is not https", g.URL)
		}
	}
	if v := f.Verify; v != nil {
		if !slices.Contains([]string{"GET", "POST"}, v.Method) {
			p.add("verify.method %q: GET or POST", v.Method)
		}
		if err := checkRequestPath(placeholderRe.ReplaceAllString(v.Path, "x")); err != nil {
			p.add("verify.path %q: %v", v.Path, err)
		}
		for _, m := range placeholderRe.FindAllStringSubmatch(v.Path, -1) {
			if !settings[m[1]] {
				p.add("verify.path %q: {%s} is not a settings field", v.Path, m[1])
			}
		}
		if v.ExpectedStatus < 200 || v.ExpectedStatus > 299 {
			p.add("verify.expected_status %d is not a 2xx", v.ExpectedStatus)
		}
		// A provider without a "who am I" answer is verified by a cheap
		// authenticated read with no label.
		if v.LabelPointer != "" && !catalogPointerRe.MatchString(v.LabelPointer) {
			p.add("verify.label_pointer %q is not an RFC 6901 pointer into the answer", v.LabelPointer)
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
		p.add("%d actions; a template has %d to 5", n, least)
	}
	names := map[string]bool{}
	for i, a := range f.Actions {
		checkCatalogAction(p, i, a)
		if names[a.Name] {
			p.add("actions[%d]: two actions are named %q", i, a.Name)
		}
		names[a.Name] = true
	}
}

func checkCatalogAuth(p *catalogProblems, f catalogFile, settings map[string]bool, facts catalogFacts) {
	a := f.Auth
	fields := map[string]bool{}
	for i, fl := range a.Fields {
		if !fieldNameRe.MatchString(fl.Name) || fields[fl.Name] || strings.TrimSpace(fl.Label) == "" {
			p.add("auth.fields[%d]: a unique field name and a label are required", i)
		}
		fields[fl.Name] = true
	}
	switch a.Type {
	case AuthOAuth2:
		o := a.OAuth2
		if o == nil {
			p.add("auth.oauth2 is required for oauth2")
			return
		}
		catalogHTTPSTemplate(p, "auth.oauth2.authorize_url", o.AuthorizeURL, settings)
		catalogHTTPSTemplate(p, "auth.oauth2.token_url", o.TokenURL, settings)
		if strings.ContainsAny(o.AuthorizeURL, "?#") {
			p.add("auth.oauth2.authorize_url %q: extra parameters go in authorize_params", o.AuthorizeURL)
		}
		seen := map[string]bool{}
		for i, s := range o.Scopes {
			if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Description) == "" || seen[s.Name] {
				p.add("auth.oauth2.scopes[%d]: a unique name and a plain-words description are required", i)
			}
			seen[s.Name] = true
		}
		if o.ScopeSeparator != "" && o.ScopeSeparator != "," && o.ScopeSeparator != " " {
			p.add("auth.oauth2.scope_separator %q: \" \" or \",\"", o.ScopeSeparator)
		}
		if o.PKCE == nil {
			p.add("auth.oauth2.pkce must say true or false")
		}
		if !slices.Contains([]string{"client_secret_post", "client_secret_basic"}, o.TokenEndpointAuthMethod) {
			p.add("auth.oauth2.token_endpoint_auth_method %q", o.TokenEndpointAuthMethod)
		}
		if authorize, token, ok := facts.factsFor(f.Slug); ok {
			if !slices.ContainsFunc(authorize, func(u string) bool { return catalogURLMatch(o.AuthorizeURL, u) }) {
				p.add("authorize_url %q is none of the documented %v", o.AuthorizeURL, authorize)
			}
			if !slices.ContainsFunc(token, func(u string) bool { return catalogURLMatch(o.TokenURL, u) }) {
				p.add("token_url %q is none of the documented %v", o.TokenURL, token)
			}
		}
		fields[TokenAccess] = true
	case AuthAPIKey, AuthBasic, AuthNone:
		if a.OAuth2 != nil {
			p.add("auth.oauth2 is only for oauth2, not %s", a.Type)
		}
	default:
		p.add("auth.type %q", a.Type)
	}
	if a.Type == AuthBasic && (!fields["username"] || !fields["password"]) {
		p.add("basic auth takes the fields username and password")
	}
	if a.Type == AuthNone && (len(a.Fields) > 0 || a.Inject != nil) {
		p.add("auth none takes no fields and no inject")
	}
	if a.Type == AuthOAuth2 || a.Type == AuthAPIKey {
		in := a.Inject
		if in == nil {
			p.add("auth %s needs inject", a.Type)
			return
		}
		if (in.Header == "") == (in.Query == "") {
			p.add("auth.inject names a header or a query parameter, not both")
		}
		if in.Header != "" && (!headerNameRe.MatchString(in.Header) || slices.Contains(forbiddenHeaders, strings.ToLower(in.Header))) {
			p.add("auth.inject.header %q", in.Header)
		}
		if in.Query != "" && !queryNameRe.MatchString(in.Query) {
			p.add("auth.inject.query %q", in.Query)
		}
		holes := placeholderRe.FindAllStringSubmatch(in.Format, -1)
		if len(holes) == 0 {
			p.add("auth.inject.format %q places no credential", in.Format)
		}
		for _, m := range holes {
			if !fields[m[1]] {
				p.add("auth.inject.format %q: {%s} is not a credential field", in.Format, m[1])
			}
		}
	}
}

func checkCatalogAction(p *catalogProblems, i int, a catalogActionDT) {
	where := fmtField("actions", i)
	if len(a.Name) > 40 || !catalogActionNameRe.MatchString(a.Name) {
		p.add("%s.name %q: lower-kebab-case, at most 40 characters", where, a.Name)
	}
	if strings.TrimSpace(a.Description) == "" {
		p.add("%s.description is empty", where)
	}
	if !slices.Contains(actionMethods, a.Method) {
		p.add("%s.method %q", where, a.Method)
	}
	if err := checkRequestPath(placeholderRe.ReplaceAllString(a.Path, "x")); err != nil {
		p.add("%s.path %q: %v", where, a.Path, err)
	}
	var s struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(a.InputSchema, &s); err != nil || s.Type != "object" {
		p.add("%s.input_schema must be a JSON Schema of type object", where)
		return
	}
	for name, raw := range s.Properties {
		var prop map[string]any
		if err := json.Unmarshal(raw, &prop); err != nil {
			p.add("%s.input_schema.properties.%s is not a schema object", where, name)
		}
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			p.add("%s.input_schema requires %q, which is not a property", where, r)
		}
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(a.Path, -1) {
		if !identRe.MatchString(m[1]) {
			p.add("%s.path %q: {%s} is not an identifier", where, a.Path, m[1])
		}
		if _, ok := s.Properties[m[1]]; !ok || !slices.Contains(s.Required, m[1]) {
			p.add("%s.path %q: {%s} must be a required property of the input schema", where, a.Path, m[1])
		}
	}
}

// TestCatalogData_Rejects: each rule of the check refuses a template broken
// in that one way, and the unbroken template passes.
func TestCatalogData_Rejects(t *testing.T) {
	facts := loadCatalogFacts(t)
	base, err := os.ReadFile(filepath.Join("catalog", "zendesk.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(change func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	obj := func(m map[string]any, keys ...string) map[string]any {
		for _, k := range keys {
			m = m[k].(map[string]any)
		}
		return m
	}
	action := func(m map[string]any, i int) map[string]any {
		return m["actions"].([]any)[i].(map[string]any)
	}
	check := func(b []byte) []string {
		f, err := parseCatalogFile(b)
		if err != nil {
			return []string{err.Error()}
		}
		var p catalogProblems
		checkCatalogFile(&p, f, facts)
		return p
	}
	if got := check(base); len(got) != 0 {
		t.Fatalf("the unbroken template is refused: %v", got)
	}
	for _, c := range []struct {
		name, want string
		change     func(m map[string]any)
	}{
		{"unknown field", "unknown field", func(m map[string]any) { m["colour"] = "#000000" }},
		{"category", "category", func(m map[string]any) { m["category"] = "helpdesk" }},
		{"brand colour", "brand_color", func(m map[string]any) { m["brand_color"] = "#ABC" }},
		{"http source", "source_url", func(m map[string]any) { m["source_url"] = "http://developer.zendesk.com/" }},
		{"undeclared setting", "{region} is not a settings field", func(m map[string]any) {
			m["base_url"] = "https://{subdomain}.{region}.zendesk.com/api/v2"
		}},
		{"token URL not documented", "token_url", func(m map[string]any) {
			obj(m, "auth", "oauth2")["token_url"] = "https://{subdomain}.zendesk.com/oauth/token"
		}},
		{"query in authorize URL", "authorize_params", func(m map[string]any) {
			obj(m, "auth", "oauth2")["authorize_url"] = "https://{subdomain}.zendesk.com/oauth/authorizations/new?x=1"
		}},
		{"scope without description", "plain-words description", func(m map[string]any) {
			obj(m, "auth", "oauth2")["scopes"] = []any{map[string]any{"name": "read"}}
		}},
		{"pkce unsaid", "pkce", func(m map[string]any) { delete(obj(m, "auth", "oauth2"), "pkce") }},
		{"inject field unknown", "not a credential field", func(m map[string]any) {
			obj(m, "auth", "inject")["format"] = "Bearer {token}"
		}},
		{"header forbidden", "may not be set", func(m map[string]any) { m["headers"] = map[string]any{"Host": "x"} }},
		{"bad pointer", "label_pointer", func(m map[string]any) { obj(m, "verify")["label_pointer"] = "user/name" }},
		{"path param not required", "must be a required property", func(m map[string]any) {
			obj(action(m, 1), "input_schema")["required"] = []any{}
		}},
		{"schema not an object", "type object", func(m map[string]any) {
			action(m, 0)["input_schema"] = map[string]any{"type": "string"}
		}},
		{"action name", "lower-kebab-case", func(m map[string]any) { action(m, 0)["name"] = "Search_Tickets" }},
		{"too few actions", "2 to 5", func(m map[string]any) { m["actions"] = m["actions"].([]any)[:1] }},
		{"duplicate action", "two actions are named", func(m map[string]any) {
			action(m, 1)["name"] = action(m, 0)["name"]
		}},
		{"api key without guide", "guide", func(m map[string]any) {
			m["auth"] = map[string]any{"type": "api_key", "fields": []any{map[string]any{"name": "api_key", "label": "Key", "secret": true}},
				"inject": map[string]any{"header": "Authorization", "format": "Bearer {api_key}"}}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := check(edit(c.change))
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, c.want) }) {
				t.Errorf("want a problem mentioning %q, got %v", c.want, got)
			}
		})
	}
}
