package portico

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// App is a tenant: one product team.
type App struct {
	ID        string
	Name      string
	Settings  AppSettings
	CreatedAt time.Time
	UpdatedAt time.Time
	// WebhookSecret is the sealed webhook signing secret ("" when none).
	WebhookSecret string
}

// Session limit policies.
const (
	PolicyEvictOldest = "evict_oldest"
	PolicyReject      = "reject"
)

// AppSettings are an app's tunables (the AppSettings schema of docs/openapi.json).
type AppSettings struct {
	SessionTTLSeconds          int      `json:"session_ttl_seconds"`
	MaxSessionTTLSeconds       int      `json:"max_session_ttl_seconds"`
	ConfigurationURLTTLSeconds int      `json:"configuration_url_ttl_seconds"`
	MaxSessionsPerUser         int      `json:"max_sessions_per_user"`
	SessionLimitPolicy         string   `json:"session_limit_policy"`
	AllowedRedirectURIs        []string `json:"allowed_redirect_uris"`
	// AllowedFrameOrigins may embed the hosted page in a frame (CSP
	// frame-ancestors); empty means no one.
	AllowedFrameOrigins []string `json:"allowed_frame_origins"`
	Theme               Theme    `json:"theme"`
	WebhookURL          string   `json:"webhook_url"`
	MaxUsers            *int     `json:"max_users"`
	// ConnectSessionTokens and ConnectIDTokens let POST /v1/connect/token
	// (the Human API Connect surface) issue session tokens and id tokens;
	// an app that does not use that surface may turn them off.
	ConnectSessionTokens bool `json:"connect_session_tokens"`
	ConnectIDTokens      bool `json:"connect_id_tokens"`
	// MCPMaxResultBytes bounds the text of an MCP tool result; longer ones
	// are cut with a marker (docs/mcp.md).
	MCPMaxResultBytes int `json:"mcp_max_result_bytes"`
	// ActivityRetentionDays is how long activity rows are kept.
	ActivityRetentionDays int `json:"activity_retention_days"`
	// PerformRatePerUser and PerformBurstPerUser bound one user's calls
	// (every surface) per minute, per node (docs/activity-and-approvals.md).
	PerformRatePerUser  int `json:"perform_rate_per_user"`
	PerformBurstPerUser int `json:"perform_burst_per_user"`
	// ApprovalDefaultForDelete is the approval of DELETE actions that
	// declare none: ApprovalAuto or ApprovalConfirm.
	ApprovalDefaultForDelete string `json:"approval_default_for_delete"`
	// UserVerificationURL, when set, is where a configuration link opened
	// in a browser is sent first, for the app to confirm its user
	// (verification.go, docs/identity.md); "" verifies no one.
	UserVerificationURL string `json:"user_verification_url"`
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

// Limits of app settings.
const (
	MaxSessionTTLCeiling   = 365 * 24 * 3600
	MaxConfigURLTTL        = 24 * 3600
	MinConfigURLTTL        = 30
	MaxSessionsPerUserCeil = 1000000
	MaxRedirectURIs        = 100
	MaxFrameOrigins        = 20
	MaxURLLength           = 2048
	MinMCPResultBytes      = 1 << 10
	MaxMCPResultBytes      = 4 << 20
	MaxRetentionDays       = 3650
	MaxPerformRate         = 1000000
)

// DefaultAppSettings are the settings of a new app.
func DefaultAppSettings() AppSettings {
	return AppSettings{
		SessionTTLSeconds:          3600,
		MaxSessionTTLSeconds:       7 * 24 * 3600,
		ConfigurationURLTTLSeconds: 900,
		MaxSessionsPerUser:         10,
		SessionLimitPolicy:         PolicyEvictOldest,
		AllowedRedirectURIs:        []string{},
		AllowedFrameOrigins:        []string{},
		ConnectSessionTokens:       true,
		ConnectIDTokens:            true,
		MCPMaxResultBytes:          100 << 10,
		ActivityRetentionDays:      30,
		PerformRatePerUser:         120,
		PerformBurstPerUser:        20,
		ApprovalDefaultForDelete:   ApprovalAuto,
	}
}

// Validate checks every setting and reports the first bad one as a 422 with
// its field path.
func (s AppSettings) Validate() error {
	switch {
	case s.MaxSessionTTLSeconds < 1 || s.MaxSessionTTLSeconds > MaxSessionTTLCeiling:
		return Invalidf("settings.max_session_ttl_seconds", "max_session_ttl_seconds must be between 1 and %d.", MaxSessionTTLCeiling)
	case s.SessionTTLSeconds < 1 || s.SessionTTLSeconds > s.MaxSessionTTLSeconds:
		return Invalidf("settings.session_ttl_seconds", "session_ttl_seconds must be between 1 and max_session_ttl_seconds (%d).", s.MaxSessionTTLSeconds)
	case s.ConfigurationURLTTLSeconds < MinConfigURLTTL || s.ConfigurationURLTTLSeconds > MaxConfigURLTTL:
		return Invalidf("settings.configuration_url_ttl_seconds", "configuration_url_ttl_seconds must be between %d and %d.", MinConfigURLTTL, MaxConfigURLTTL)
	case s.MaxSessionsPerUser < 1 || s.MaxSessionsPerUser > MaxSessionsPerUserCeil:
		return Invalidf("settings.max_sessions_per_user", "max_sessions_per_user must be between 1 and %d.", MaxSessionsPerUserCeil)
	case s.SessionLimitPolicy != PolicyEvictOldest && s.SessionLimitPolicy != PolicyReject:
		return Invalidf("settings.session_limit_policy", "session_limit_policy must be %q or %q.", PolicyEvictOldest, PolicyReject)
	case len(s.AllowedRedirectURIs) > MaxRedirectURIs:
		return Invalidf("settings.allowed_redirect_uris", "At most %d redirect URIs are allowed.", MaxRedirectURIs)
	case s.MaxUsers != nil && *s.MaxUsers < 1:
		return Invalidf("settings.max_users", "max_users must be at least 1, or null for no limit.")
	case s.MCPMaxResultBytes < MinMCPResultBytes || s.MCPMaxResultBytes > MaxMCPResultBytes:
		return Invalidf("settings.mcp_max_result_bytes", "mcp_max_result_bytes must be between %d and %d.", MinMCPResultBytes, MaxMCPResultBytes)
	case s.ActivityRetentionDays < 1 || s.ActivityRetentionDays > MaxRetentionDays:
		return Invalidf("settings.activity_retention_days", "activity_retention_days must be between 1 and %d.", MaxRetentionDays)
	case s.PerformRatePerUser < 1 || s.PerformRatePerUser > MaxPerformRate:
		return Invalidf("settings.perform_rate_per_user", "perform_rate_per_user must be between 1 and %d calls per minute.", MaxPerformRate)
	case s.PerformBurstPerUser < 1 || s.PerformBurstPerUser > MaxPerformRate:
		return Invalidf("settings.perform_burst_per_user", "perform_burst_per_user must be between 1 and %d calls.", MaxPerformRate)
	case s.ApprovalDefaultForDelete != ApprovalAuto && s.ApprovalDefaultForDelete != ApprovalConfirm:
		return Invalidf("settings.approval_default_for_delete", "approval_default_for_delete must be %q or %q.", ApprovalAuto, ApprovalConfirm)
	}
	for _, u := range s.AllowedRedirectURIs {
		if err := CheckRedirectURI(u); err != nil {
			return Invalidf("settings.allowed_redirect_uris", "%q is not a valid redirect URI: %s", u, messageOf(err))
		}
	}
	if len(s.AllowedFrameOrigins) > MaxFrameOrigins {
		return Invalidf("settings.allowed_frame_origins", "At most %d frame origins are allowed.", MaxFrameOrigins)
	}
	for _, o := range s.AllowedFrameOrigins {
		if !IsOrigin(o) {
			return Invalidf("settings.allowed_frame_origins", "%q is not an origin such as https://app.example.com: scheme and host in lower case, no path, no wildcard.", o)
		}
	}
	if s.UserVerificationURL != "" {
		if err := CheckRedirectURI(s.UserVerificationURL); err != nil {
			return Invalidf("settings.user_verification_url", "user_verification_url %s", messageOf(err))
		}
	}
	if s.WebhookURL != "" {
		// A fragment is never sent: a URL with one is a mistake.
		if err := CheckRedirectURI(s.WebhookURL); err != nil {
			return Invalidf("settings.webhook_url", "webhook_url %s", messageOf(err))
		}
	}
	return s.Theme.Validate("settings.theme")
}

var colorRe = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Validate checks a theme; prefix is the field path used in errors.
func (t Theme) Validate(prefix string) error {
	if len(t.Name) > 100 || !utf8.ValidString(t.Name) || hasControl(t.Name) {
		return Invalidf(prefix+".name", "name must be at most 100 bytes of text.")
	}
	for _, f := range []struct{ name, v string }{
		{"logo_url", t.LogoURL}, {"favicon_url", t.FaviconURL},
		{"privacy_url", t.PrivacyURL}, {"terms_url", t.TermsURL},
	} {
		if f.v == "" {
			continue
		}
		if err := checkWebURL(f.v); err != nil {
			return Invalidf(prefix+"."+f.name, "%s %s", f.name, messageOf(err))
		}
	}
	for _, f := range []struct{ name, v string }{
		{"primary_color", t.PrimaryColor}, {"sidebar_background_color", t.SidebarBackgroundColor},
		{"sidebar_text_color", t.SidebarTextColor},
	} {
		if f.v != "" && !colorRe.MatchString(f.v) {
			return Invalidf(prefix+"."+f.name, "%s must be a hex colour such as #286efa.", f.name)
		}
	}
	return nil
}

// CheckWebURL accepts an absolute http(s) URL without credentials or
// control characters, at most MaxURLLength bytes: the rule of every URL an
// app or a surface stores for display or for a call back.
func CheckWebURL(s string) error { return checkWebURL(s) }

// checkWebURL accepts absolute http(s) URLs without credentials.
func checkWebURL(s string) error {
	if len(s) > MaxURLLength {
		return Errorf(CodeValidation, "must be at most %d bytes.", MaxURLLength)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || hasControl(s):
		return Errorf(CodeValidation, "must be an absolute http or https URL.")
	case u.User != nil:
		return Errorf(CodeValidation, "must not hold user info (user:password@); send credentials another way.")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Errorf(CodeValidation, "must have a port from 1 to 65535.")
		}
	}
	return nil
}

// checkWebhookHost refuses, when a webhook URL is set, the hosts its
// deliveries would be refused at (docs/webhooks.md, "Targets"): a numeric
// spelling that is not canonical always, and a loopback, private or
// link-local address or name unless allowPrivate (--allow-private-upstreams).
// A name is not resolved here; the delivery's dial judges its addresses.
func checkWebhookHost(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return Errorf(CodeValidation, "must be an absolute http or https URL.")
	}
	host := u.Hostname()
	if why := HostSpellingRefusal(host); why != "" {
		return Errorf(CodeValidation, "names a host that is %s.", why)
	}
	if !allowPrivate && isPrivateHost(host) {
		return Errorf(CodeValidation, "names a loopback, private or link-local address, where deliveries are refused unless the server runs with --allow-private-upstreams.")
	}
	return nil
}

// CheckRedirectURI validates a redirect URI as an app may register it:
// absolute http(s), no user info, no fragment.
func CheckRedirectURI(s string) error {
	if err := checkWebURL(s); err != nil {
		return err
	}
	if strings.Contains(s, "#") {
		return Errorf(CodeValidation, "must not contain a fragment.")
	}
	return nil
}

// IsOrigin accepts an http(s) origin: scheme and host (and port), nothing
// else, as CSP frame-ancestors takes it.
func IsOrigin(s string) bool {
	u, err := url.Parse(s)
	// Lower case, as browsers send an Origin (one typed A.COM would never
	// match), and no wildcard: a frame-ancestors source of *.example.com
	// would let any subdomain frame the page.
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !strings.ContainsAny(s, " ;,'\"*") &&
		s == u.Scheme+"://"+u.Host && u.Host == strings.ToLower(u.Host) && !hasControl(s)
}

// RedirectAllowed reports whether uri is exactly one of the allowed URIs.
// Exact string equality is deliberate: any normalisation (case, trailing
// slash, percent-encoding) is a way around the allow-list.
func (s AppSettings) RedirectAllowed(uri string) bool {
	for _, a := range s.AllowedRedirectURIs {
		if a == uri {
			return true
		}
	}
	return false
}

// HasControl reports whether s holds a character no name or URL may hold:
// C0 and C1 controls, DEL, the line and paragraph separators, and the
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which reorder the text shown around them: a name that
// reads one way on the hosted page or in the app's dashboard and is
// another.
func HasControl(s string) bool { return hasControl(s) }

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' ||
			(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return true
		}
	}
	return false
}

// APIKey is an app's server-side secret; only its hash is stored.
type APIKey struct {
	ID    string
	AppID string
	Hash  []byte
	Hint  string // the last four characters, to tell keys apart
	// Permissions say what the key may do (PermissionAll, the default,
	// and PermissionActAsUser); stored in this order, without repeats.
	Permissions []string
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// Permissions of an API key (docs/identity.md, "Key permissions").
// PermissionAll is every endpoint of the native API and the compatible
// surfaces; PermissionRead is their GET endpoints; PermissionSessions is
// what an app's login handler needs (users find-or-create, sessions,
// configuration links); PermissionPerform is tools and perform;
// PermissionActAsUser lets the key call the MCP server for any of the
// app's users named by a header (docs/mcp.md). No permission implies
// PermissionActAsUser, so a key given to a server-side agent can hold it
// alone, and one with every other permission still lacks it.
const (
	PermissionAll       = "all"
	PermissionRead      = "read"
	PermissionSessions  = "sessions"
	PermissionPerform   = "perform"
	PermissionActAsUser = "mcp:act_as_user"
)

// Permissions are the permissions a key may hold, in their stored order.
var Permissions = []string{PermissionAll, PermissionRead, PermissionSessions, PermissionPerform, PermissionActAsUser}

// Allows reports whether the key holds permission p.
func (k *APIKey) Allows(p string) bool { return slices.Contains(k.Permissions, p) }

// Grants reports whether the key may call an endpoint that needs
// permission need, read telling that the call is a GET (or a HEAD, which
// GET endpoints serve): the key holds need; or need is not
// PermissionActAsUser and the key holds PermissionAll, or holds
// PermissionRead and the call is a read.
func (k *APIKey) Grants(need string, read bool) bool {
	switch {
	case k.Allows(need):
		return true
	case need == PermissionActAsUser:
		return false
	case k.Allows(PermissionAll):
		return true
	}
	return read && k.Allows(PermissionRead)
}

// MissingPermission returns the permission an API key lacked, when err
// is that refusal (CodeForbidden with details.permission), else "".
func MissingPermission(err error) string {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeForbidden {
		return ""
	}
	p, _ := e.Details["permission"].(string)
	return p
}

// NormalizePermissions checks a key's permissions and puts them in their
// stored order; none is PermissionAll.
func NormalizePermissions(ps []string) ([]string, error) {
	if len(ps) == 0 {
		return []string{PermissionAll}, nil
	}
	out := []string{}
	for _, p := range Permissions {
		if slices.Contains(ps, p) {
			out = append(out, p)
		}
	}
	for _, p := range ps {
		if !slices.Contains(Permissions, p) {
			return nil, Invalidf("permissions", "%q is not a permission; use %s.", p, strings.Join(Permissions, ", "))
		}
	}
	return out, nil
}

// TrustsOrigin reports whether origin (an Origin header) is one the app
// lists: an allowed frame origin, or the origin of an allowed redirect URI.
// Comparison is exact, like RedirectAllowed's.
func (s AppSettings) TrustsOrigin(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if slices.Contains(s.AllowedFrameOrigins, origin) {
		return true
	}
	for _, a := range s.AllowedRedirectURIs {
		if u, err := url.Parse(a); err == nil && u.Scheme+"://"+u.Host == origin {
			return true
		}
	}
	return false
}
