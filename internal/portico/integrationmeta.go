package portico

import (
	"encoding/json"
	"maps"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// What an integration tells its users beside its API (docs/catalog-data.md):
// a description, a logo and brand colour, the guide to a credential, the
// per-connection settings its base URL is a template over, static headers
// and the verify request that proves a credential works.

// Guide says where a user finds a credential: numbered steps and a link to
// the provider's own page.
type Guide struct {
	Steps []string `json:"steps"`
	URL   string   `json:"url"`
}

// SettingsField is a non-secret per-connection value (a subdomain, a
// region, a company id), entered with the credentials and used in the
// integration's base_url, headers and verify path as {name}.
type SettingsField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Pattern     string `json:"pattern,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
	Optional    bool   `json:"optional,omitempty"`
}

// Verify is a cheap authenticated request that proves a credential works,
// and an RFC 6901 pointer to the account label in its JSON answer.
type Verify struct {
	Method         string `json:"method"`
	Path           string `json:"path"`
	ExpectedStatus int    `json:"expected_status"`
	LabelPointer   string `json:"label_pointer,omitempty"`
}

// Scope is an OAuth2 scope with what it grants, in plain words.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// UnmarshalJSON accepts a scope object or a plain string (its name), the
// form definitions stored before scopes had descriptions.
func (s *Scope) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*s = Scope{Name: name}
		return nil
	}
	type plain Scope
	return json.Unmarshal(b, (*plain)(s))
}

// ScopeNames lists the names of scopes.
func ScopeNames(scopes []Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.Name
	}
	return out
}

// Token endpoint authentication methods (RFC 8414's names).
const (
	TokenAuthPost  = "client_secret_post"
	TokenAuthBasic = "client_secret_basic"
)

// Limits of an integration's descriptive parts.
const (
	MaxSettingsFields     = 20
	MaxHeaders            = 20
	MaxGuideSteps         = 20
	MaxAuthorizeParams    = 20
	MaxSettingValueLen    = 256
	MaxIntegrationDescLen = 300
)

var (
	brandColorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	// pointerRe is RFC 6901's syntax: "" or /-separated tokens in which ~
	// is only ever ~0 or ~1.
	pointerRe = regexp.MustCompile(`^(?:/(?:[^~/]|~[01])*)*$`)
	// hostValueRe is a settings value placed in a URL's host: labels of
	// letters, digits and hyphens, joined by dots.
	hostValueRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// Parameters of the authorize request Portico sets itself.
var reservedAuthorizeParams = []string{"client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge", "code_challenge_method"}

// checkHTTPSLink accepts an absolute https URL a browser follows (a logo,
// a documentation page): Portico never fetches it.
func checkHTTPSLink(field, s string) error {
	if len(s) > MaxURLLength || hasControl(s) || strings.ContainsAny(s, " \\") {
		return Invalidf(field, "%s must be an https URL of at most %d bytes.", field, MaxURLLength)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return Invalidf(field, "%s must be an absolute https URL without user info.", field)
	}
	return nil
}

// checkLine accepts at most max bytes of text on one line.
func checkLine(field, s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) || hasControl(s) {
		return Invalidf(field, "%s must be one line of at most %d bytes of text.", field, max)
	}
	return nil
}

// validateMeta checks and normalises the descriptive parts of a
// definition; names are the credential field names, which settings fields
// may not reuse (the hosted page's form holds both).
func (in *Integration) validateMeta(names map[string]bool) error {
	in.Description = strings.TrimSpace(in.Description)
	if err := checkLine("description", in.Description, MaxIntegrationDescLen); err != nil {
		return err
	}
	for _, l := range []struct{ field, v string }{{"logo_url", in.LogoURL}, {"source_url", in.SourceURL}} {
		if l.v != "" {
			if err := checkHTTPSLink(l.field, l.v); err != nil {
				return err
			}
		}
	}
	if in.BrandColor != "" {
		if !brandColorRe.MatchString(in.BrandColor) {
			return Invalidf("brand_color", "brand_color must be a colour written #rrggbb, e.g. #24292f.")
		}
		in.BrandColor = strings.ToLower(in.BrandColor)
	}
	if g := in.Guide; g != nil {
		if len(g.Steps) == 0 || len(g.Steps) > MaxGuideSteps {
			return Invalidf("guide.steps", "guide.steps holds 1 to %d steps.", MaxGuideSteps)
		}
		for i := range g.Steps {
			g.Steps[i] = strings.TrimSpace(g.Steps[i])
			if g.Steps[i] == "" {
				return Invalidf(fmtField("guide.steps", i), "A guide step cannot be empty.")
			}
			if err := checkLine(fmtField("guide.steps", i), g.Steps[i], 500); err != nil {
				return err
			}
		}
		if g.URL == "" {
			return Invalidf("guide.url", "guide.url is required: the provider's page where the credential is created.")
		}
		if err := checkHTTPSLink("guide.url", g.URL); err != nil {
			return err
		}
	}
	if in.SettingsFields == nil {
		in.SettingsFields = []SettingsField{}
	}
	if len(in.SettingsFields) > MaxSettingsFields {
		return Invalidf("settings_fields", "At most %d settings fields.", MaxSettingsFields)
	}
	seen := map[string]bool{}
	for i := range in.SettingsFields {
		f := &in.SettingsFields[i]
		field := fmtField("settings_fields", i)
		switch {
		case !fieldNameRe.MatchString(f.Name):
			return Invalidf(field+".name", "A settings field name is 1 to 64 of a-z, 0-9 and _, starting with a letter.")
		case seen[f.Name]:
			return Invalidf(field+".name", "Two settings fields are named %q.", f.Name)
		case names[f.Name]:
			return Invalidf(field+".name", "%q is already a credential field; name the setting otherwise.", f.Name)
		}
		seen[f.Name] = true
		f.Label = strings.TrimSpace(f.Label)
		if f.Label == "" {
			f.Label = f.Name
		}
		if err := checkLine(field+".label", f.Label, 100); err != nil {
			return err
		}
		if err := checkLine(field+".placeholder", f.Placeholder, 100); err != nil {
			return err
		}
		if f.Pattern != "" {
			if err := checkLine(field+".pattern", f.Pattern, 512); err != nil {
				return err
			}
			if _, err := regexp.Compile(f.Pattern); err != nil {
				return Invalidf(field+".pattern", "%s.pattern is not RE2 syntax (%v).", field, err)
			}
		}
	}
	required := map[string]bool{}
	for _, f := range in.SettingsFields {
		if !f.Optional {
			required[f.Name] = true
		}
	}
	if err := checkTemplateRefs("base_url", in.BaseURL, seen, required); err != nil {
		return err
	}
	if in.Headers == nil {
		in.Headers = map[string]string{}
	}
	if len(in.Headers) > MaxHeaders {
		return Invalidf("headers", "At most %d headers.", MaxHeaders)
	}
	canon := make(map[string]string, len(in.Headers))
	for _, k := range slices.Sorted(maps.Keys(in.Headers)) {
		v := in.Headers[k]
		field := "headers." + k
		lk := strings.ToLower(k)
		switch {
		case !headerNameRe.MatchString(k):
			return Invalidf("headers", "%q is not an HTTP header name.", Echo(k))
		case lk == "authorization" || slices.Contains(forbiddenHeaders, lk) ||
			(in.Auth.Inject != nil && strings.EqualFold(in.Auth.Inject.Header, k)):
			return Invalidf(field, "The %s header cannot be set by an integration: Portico or the credential sets it.", k)
		case strings.TrimSpace(v) == "":
			return Invalidf(field, "%s cannot be empty.", field)
		}
		if err := checkLine(field, v, 1024); err != nil {
			return err
		}
		// A header may use an optional setting: it is left out while the
		// setting is empty.
		if err := checkTemplateRefs(field, v, seen, seen); err != nil {
			return err
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if _, dup := canon[ck]; dup {
			return Invalidf(field, "The %s header is given twice.", ck)
		}
		canon[ck] = v
	}
	if v := in.Verify; v != nil {
		v.Method = strings.ToUpper(v.Method)
		if v.Method != "GET" && v.Method != "POST" {
			return Invalidf("verify.method", "verify.method must be GET or POST.")
		}
		if err := checkTemplateRefs("verify.path", v.Path, seen, required); err != nil {
			return err
		}
		if err := checkRequestPath(placeholderRe.ReplaceAllString(v.Path, "x")); err != nil {
			return Invalidf("verify.path", "verify.path: %s", messageOf(err))
		}
		if v.ExpectedStatus == 0 {
			v.ExpectedStatus = 200
		}
		if v.ExpectedStatus < 200 || v.ExpectedStatus > 299 {
			return Invalidf("verify.expected_status", "verify.expected_status must be a 2xx status.")
		}
		if len(v.LabelPointer) > 512 || !utf8.ValidString(v.LabelPointer) || !pointerRe.MatchString(v.LabelPointer) {
			return Invalidf("verify.label_pointer", "verify.label_pointer must be an RFC 6901 JSON pointer such as /login (/ separated, ~ only as ~0 or ~1).")
		}
	}
	return nil
}

// checkTemplateRefs checks that every {placeholder} of a template names a
// declared settings field (a required one where required says so).
func checkTemplateRefs(field, s string, declared, required map[string]bool) error {
	used, err := placeholders(s)
	if err != nil {
		return Invalidf(field, "%s %s", field, messageOf(err))
	}
	for _, p := range used {
		switch {
		case !declared[p]:
			return Invalidf(field, "%s uses {%s}, which is not a declared settings field.", field, p)
		case !required[p]:
			return Invalidf(field, "%s uses {%s}, an optional settings field; only required ones may be used here.", field, p)
		}
	}
	return nil
}

// standIn fills a URL template's placeholders with a value that passes
// every check, to judge the template's fixed parts.
func standIn(tmpl string) string { return placeholderRe.ReplaceAllString(tmpl, "x") }

// validateExtras checks the OAuth2 extras of the catalogue: scope
// descriptions, the scope separator, extra authorize parameters and the
// token endpoint's authentication method.
func (o *OAuth2Config) validateExtras() error {
	switch o.ScopeSeparator {
	case "":
		o.ScopeSeparator = " "
	case " ", ",":
	default:
		return Invalidf("auth.oauth2.scope_separator", `auth.oauth2.scope_separator must be " " (the default) or ",".`)
	}
	for i := range o.Scopes {
		s := &o.Scopes[i]
		field := fmtField("auth.oauth2.scopes", i)
		if s.Name == "" || len(s.Name) > 256 || strings.ContainsAny(s.Name, " \"\\"+o.ScopeSeparator) || hasControl(s.Name) || !utf8.ValidString(s.Name) {
			return Invalidf(field+".name", "A scope is 1 to 256 bytes without spaces, quotes, the scope separator or control characters.")
		}
		s.Description = strings.TrimSpace(s.Description)
		if err := checkLine(field+".description", s.Description, 300); err != nil {
			return err
		}
	}
	if o.AuthorizeParams == nil {
		o.AuthorizeParams = map[string]string{}
	}
	if len(o.AuthorizeParams) > MaxAuthorizeParams {
		return Invalidf("auth.oauth2.authorize_params", "At most %d authorize parameters.", MaxAuthorizeParams)
	}
	for k, v := range o.AuthorizeParams {
		field := "auth.oauth2.authorize_params." + k
		switch {
		case !queryNameRe.MatchString(k):
			return Invalidf("auth.oauth2.authorize_params", "%q is not a parameter name: 1 to 64 of A-Z, a-z, 0-9, _ . [ ] and -.", Echo(k))
		case slices.Contains(reservedAuthorizeParams, k):
			return Invalidf(field, "Portico sets %s itself.", k)
		}
		if err := checkLine(field, v, 512); err != nil {
			return err
		}
	}
	if o.PKCE == nil {
		on := true
		o.PKCE = &on
	}
	switch o.TokenEndpointAuthMethod {
	case "", TokenAuthPost, TokenAuthBasic:
	default:
		return Invalidf("auth.oauth2.token_endpoint_auth_method", "auth.oauth2.token_endpoint_auth_method must be client_secret_post or client_secret_basic (leave it out to detect it).")
	}
	return nil
}

// UsesPKCE tells whether the authorization sends a PKCE challenge (the
// default) or the provider documents that it takes none.
func (o *OAuth2Config) UsesPKCE() bool { return o.PKCE == nil || *o.PKCE }
