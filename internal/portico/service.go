package portico

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Service orchestrates the store, the sealer and the clock. Adapters (the
// native API, the compatible surfaces, the CLI) call it, never the store
// behind it; it holds no per-request state. Build it with NewService.
type Service struct {
	store  Store
	Sealer Sealer
	Pages  *PageCodec
	Now    Clock
	Log    *slog.Logger
	// PublicURL is where users reach the server (no trailing slash); it
	// prefixes configuration URLs.
	PublicURL string
	// AllowPrivateUpstreams admits integrations whose URLs name loopback
	// or private addresses, and plain http to loopback
	// (--allow-private-upstreams; development and tests only).
	AllowPrivateUpstreams bool
	// Upstream sends Perform's requests (package upstream's guarded proxy).
	Upstream Upstream
	// Refresher renews expiring OAuth2 tokens (refresh.go); nil refreshes
	// nothing, as if every provider were unreachable.
	Refresher TokenRefresher
	// TokenTimeout bounds a refresh's token request; zero means
	// tokenRequestTimeout.
	TokenTimeout time.Duration
	// Metrics, when set, counts sessions created and revoked.
	Metrics Metrics
	// OAuth2 runs the hosted page's authorization-code flow (oauth.go):
	// the server sets the same upstream client as Refresher.
	OAuth2 OAuth2Flow
	// CountRefresh, when set, is told the outcome of every refresh this
	// node made: RefreshSucceeded, or the reason it failed
	// (RefreshRejected, RefreshNoRefreshToken, RefreshUnavailable).
	CountRefresh func(outcome string)
	// Connected tells waiters when a user's connection is stored.
	Connected ConnectedHub
	// OpenAPI reads the OpenAPI documents PUT /v1/integrations/{slug} may
	// carry (openapi.go); nil refuses them.
	OpenAPI OpenAPIImporter
	// NoActivity records no activity rows (serve --no-activity-log), for
	// deployments that keep their own audit trail: GET /v1/activity and
	// the hosted page's activity view then stay empty.
	NoActivity bool

	// FetchClientMetadata reads an OAuth client metadata document through
	// the address guard, at most MaxClientMetadataBytes (authserver.go);
	// nil fetches none.
	FetchClientMetadata func(ctx context.Context, url string) ([]byte, error)

	// clients keeps fetched client metadata documents (authserver.go).
	clients clientCache
	// schemas keeps actions' input schemas compiled (jsonschema.go).
	schemas schemaCache
	// limiter holds the per-user perform budgets (userlimit.go).
	limiter userLimiter
	// userLinks serializes UserConfigLink per user (userlink.go): one slot
	// per stripe, taken by a send, so that a waiter can give up.
	userLinks [64]chan struct{}
}

// NewService returns s, its fields as the caller set them, over st: the
// one way to give a service its store, which only the service calls.
func NewService(st Store, s *Service) *Service {
	s.store = st
	for i := range s.userLinks {
		s.userLinks[i] = make(chan struct{}, 1)
	}
	return s
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// appName checks an app's name, trimmed of surrounding space: 1 to
// MaxNameLen bytes of UTF-8 text on one line.
func appName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || len(name) > MaxNameLen:
		return "", Invalidf("name", "An app name of 1 to %d bytes is required.", MaxNameLen)
	case !utf8.ValidString(name) || hasControl(name):
		return "", Invalidf("name", "An app name is one line of text: no control characters (such as a line break) and valid UTF-8.")
	}
	return name, nil
}

// CreateApp creates an app with default settings and its first API key; the
// raw key is returned only here.
func (s *Service) CreateApp(ctx context.Context, name string) (*App, string, error) {
	name, err := appName(name)
	if err != nil {
		return nil, "", err
	}
	app := &App{ID: NewID(PrefixApp), Name: name, Settings: DefaultAppSettings()}
	key, raw := newAPIKey(app.ID)
	if err := s.store.CreateApp(ctx, app, key); err != nil {
		return nil, "", err
	}
	return app, raw, nil
}

func newAPIKey(appID string) (*APIKey, string) {
	raw, hash := NewToken(PrefixAPIKeySecret)
	return &APIKey{ID: NewID(PrefixAPIKey), AppID: appID, Hash: hash, Hint: raw[len(raw)-4:], Permissions: []string{PermissionAll}}, raw
}

// CreateAPIKey adds a key with these permissions (none: PermissionAll) to
// an app; the raw key is returned only here.
func (s *Service) CreateAPIKey(ctx context.Context, appID string, permissions []string) (*APIKey, string, error) {
	perms, err := NormalizePermissions(permissions)
	if err != nil {
		return nil, "", err
	}
	key, raw := newAPIKey(appID)
	key.Permissions = perms
	if err := s.store.CreateAPIKey(ctx, key); err != nil {
		return nil, "", err
	}
	return key, raw, nil
}

var errInvalidAPIKey = &Error{Code: CodeInvalidAPIKey, Message: "The API key is invalid or has been revoked."}

// AuthenticateAPIKey returns the app of a raw API key. Malformed, unknown and
// revoked keys fail alike, after the same hash and the same lookup that
// finds no active key, with CodeInvalidAPIKey.
func (s *Service) AuthenticateAPIKey(ctx context.Context, raw string) (*App, *APIKey, error) {
	hash := HashToken(raw)
	key, app, err := s.store.FindActiveAPIKeyByHash(ctx, hash)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, nil, errInvalidAPIKey
		}
		return nil, nil, err
	}
	if !EqualHash(key.Hash, hash) || key.RevokedAt != nil || !TokenHasPrefix(raw, PrefixAPIKeySecret) {
		return nil, nil, errInvalidAPIKey
	}
	return app, key, nil
}

// AppPatch is a partial change of an app.
type AppPatch struct {
	Name     *string
	Settings *SettingsPatch
}

// SettingsPatch changes the settings it names.
type SettingsPatch struct {
	SessionTTLSeconds          *int
	MaxSessionTTLSeconds       *int
	ConfigurationURLTTLSeconds *int
	MaxSessionsPerUser         *int
	SessionLimitPolicy         *string
	AllowedRedirectURIs        *[]string
	AllowedFrameOrigins        *[]string
	Theme                      *Theme
	WebhookURL                 *string
	// MaxUsersSet tells that max_users was given; MaxUsers nil then means
	// unlimited.
	MaxUsersSet bool
	MaxUsers    *int
	// ConnectSessionTokens and ConnectIDTokens switch the token types of
	// POST /v1/connect/token.
	ConnectSessionTokens *bool
	ConnectIDTokens      *bool
	MCPMaxResultBytes    *int
	// The agent-safety settings (docs/activity-and-approvals.md).
	ActivityRetentionDays    *int
	PerformRatePerUser       *int
	PerformBurstPerUser      *int
	ApprovalDefaultForDelete *string
	// UserVerificationURL: "" turns user verification off.
	UserVerificationURL *string
}

func (p *SettingsPatch) apply(s *AppSettings) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.SessionTTLSeconds, p.SessionTTLSeconds)
	set(&s.MaxSessionTTLSeconds, p.MaxSessionTTLSeconds)
	set(&s.ConfigurationURLTTLSeconds, p.ConfigurationURLTTLSeconds)
	set(&s.MaxSessionsPerUser, p.MaxSessionsPerUser)
	set(&s.MCPMaxResultBytes, p.MCPMaxResultBytes)
	if p.SessionLimitPolicy != nil {
		s.SessionLimitPolicy = *p.SessionLimitPolicy
	}
	if p.AllowedRedirectURIs != nil {
		s.AllowedRedirectURIs = append([]string{}, *p.AllowedRedirectURIs...)
	}
	if p.AllowedFrameOrigins != nil {
		s.AllowedFrameOrigins = append([]string{}, *p.AllowedFrameOrigins...)
	}
	if p.Theme != nil {
		s.Theme = *p.Theme
	}
	if p.WebhookURL != nil {
		s.WebhookURL = *p.WebhookURL
	}
	if p.MaxUsersSet {
		s.MaxUsers = p.MaxUsers
	}
	if p.ConnectSessionTokens != nil {
		s.ConnectSessionTokens = *p.ConnectSessionTokens
	}
	if p.ConnectIDTokens != nil {
		s.ConnectIDTokens = *p.ConnectIDTokens
	}
	set(&s.ActivityRetentionDays, p.ActivityRetentionDays)
	set(&s.PerformRatePerUser, p.PerformRatePerUser)
	set(&s.PerformBurstPerUser, p.PerformBurstPerUser)
	if p.ApprovalDefaultForDelete != nil {
		s.ApprovalDefaultForDelete = *p.ApprovalDefaultForDelete
	}
	if p.UserVerificationURL != nil {
		s.UserVerificationURL = *p.UserVerificationURL
	}
}

// UpdateApp applies p. When it sets a new webhook URL, a new signing secret
// is generated, stored sealed and returned (only here).
func (s *Service) UpdateApp(ctx context.Context, appID string, p AppPatch) (*App, string, error) {
	app, err := s.store.FindAppByID(ctx, appID)
	if err != nil {
		return nil, "", err
	}
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		if n == "" || len(n) > MaxNameLen || !utf8.ValidString(n) || hasControl(n) {
			return nil, "", Invalidf("name", "name must be 1 to %d bytes of text.", MaxNameLen)
		}
		app.Name = n
	}
	var webhookSecret string
	if p.Settings != nil {
		old := app.Settings.WebhookURL
		p.Settings.apply(&app.Settings)
		if err := app.Settings.Validate(); err != nil {
			return nil, "", err
		}
		if p.Settings.WebhookURL != nil && app.Settings.WebhookURL != "" {
			if err := checkWebhookHost(app.Settings.WebhookURL, s.AllowPrivateUpstreams); err != nil {
				return nil, "", Invalidf("settings.webhook_url", "webhook_url %s", messageOf(err))
			}
		}
		switch {
		case app.Settings.WebhookURL == "":
			app.WebhookSecret = ""
		case p.Settings.WebhookURL != nil && (app.Settings.WebhookURL != old || app.WebhookSecret == ""):
			raw, _ := NewToken(PrefixWebhookSec)
			sealed, err := s.Sealer.Seal([]byte(raw), WebhookSecretAAD(app.ID))
			if err != nil {
				return nil, "", err
			}
			app.WebhookSecret, webhookSecret = sealed, raw
		}
	}
	if err := s.store.UpdateApp(ctx, app); err != nil {
		return nil, "", err
	}
	return app, webhookSecret, nil
}

// WebhookSecretAAD binds a sealed webhook secret to its app.
func WebhookSecretAAD(appID string) string { return "portico:webhook:" + appID }

// FindOrCreateUser validates in and finds or creates the user.
func (s *Service) FindOrCreateUser(ctx context.Context, appID string, in UserInput) (*User, bool, error) {
	if err := in.Normalize(""); err != nil {
		return nil, false, err
	}
	return s.store.FindOrCreateUser(ctx, appID, NewTimeID(PrefixUser, s.now()), in)
}

// ListUsers returns a page of users matching f.
func (s *Service) ListUsers(ctx context.Context, appID string, f UserFilter, r PageRequest) (Page[User], error) {
	if f.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*f.Email))
		f.Email = &e
	}
	scope := "users\x00" + appID + "\x00" + deref(f.ExternalID) + "\x00" + deref(f.Email) + "\x00" + deref(f.AccountID)
	return paginate(s.Pages, scope, r, func(u User) Cursor { return Cursor{u.CreatedAt, u.ID} },
		func(q ListQuery) ([]User, error) { return s.store.ListUsers(ctx, appID, f, q) })
}

// UpdateUser validates and applies u.
func (s *Service) UpdateUser(ctx context.Context, appID, id string, u UserUpdate) (*User, error) {
	if err := u.Normalize(); err != nil {
		return nil, err
	}
	return s.store.UpdateUser(ctx, appID, id, u)
}

// CreateAccount validates and creates an account with the chosen id, or a
// generated one when none is chosen (nil; an empty id is refused).
func (s *Service) CreateAccount(ctx context.Context, appID string, chosen *string, name string) (*Account, error) {
	id := NewID(PrefixAccount)
	if chosen != nil {
		if err := CheckAccountID(*chosen); err != nil {
			return nil, err
		}
		id = *chosen
	}
	if err := CheckAccountName(name); err != nil {
		return nil, err
	}
	a := &Account{AppID: appID, ID: id, Name: name}
	if err := s.store.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAccount renames an account.
func (s *Service) UpdateAccount(ctx context.Context, appID, id, name string) (*Account, error) {
	if err := CheckAccountName(name); err != nil {
		return nil, err
	}
	return s.store.UpdateAccount(ctx, appID, id, name)
}

// ListAccounts returns a page of accounts.
func (s *Service) ListAccounts(ctx context.Context, appID string, r PageRequest) (Page[Account], error) {
	return paginate(s.Pages, "accounts\x00"+appID, r, func(a Account) Cursor { return Cursor{a.CreatedAt, a.ID} },
		func(q ListQuery) ([]Account, error) { return s.store.ListAccounts(ctx, appID, q) })
}

func deref(s *string) string {
	if s == nil {
		return "\x01"
	}
	return *s
}

// MarshalSettings is the storage form of settings.
func MarshalSettings(s AppSettings) string {
	b, _ := json.Marshal(s)
	return string(b)
}
