package portico

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Session is a time-limited grant for one user. Its presentation settings
// are kept as canonical JSON: the hot validation path returns them without
// decoding.
type Session struct {
	ID             string
	AppID          string
	UserID         string
	ExternalUserID *string
	Refreshable    bool
	TTLSeconds     int
	RedirectURI    string
	Settings       json.RawMessage // canonical SessionSettings
	Theme          json.RawMessage // canonical Theme
	CustomSettings json.RawMessage // a JSON object
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	// RefreshExpiresAt ends the refresh token's life: creation plus the
	// app's max_session_ttl_seconds. Nil when not refreshable.
	RefreshExpiresAt *time.Time
	RevokedAt        *time.Time
	// Return is the link back to the caller's app, as Superface's SDKs
	// name it; the hosted page shows it only when its URL is one of the
	// app's allowed_redirect_uris.
	Return ReturnLink
}

// ReturnLink is a link back to the app a user came from: the
// x-superface-app-name and x-superface-app-url headers of the Superface
// Hub API (docs/hosted-page.md).
type ReturnLink struct {
	Name, URL string
}

// Clean returns the link with a name that is one line of text and an
// http(s) URL, or the zero link when either is unusable: the headers are
// advisory, and a bad one must not fail the request that carries it.
func (l ReturnLink) Clean() ReturnLink {
	l.Name = strings.TrimSpace(l.Name)
	if l.URL == "" || CheckWebURL(l.URL) != nil || checkLine("name", l.Name, MaxNameLen) != nil {
		return ReturnLink{}
	}
	return l
}

// Active reports whether the session can be used at now: not revoked and
// strictly before expires_at (at exactly expires_at it has expired).
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// SessionSettings shape the hosted page of a session.
type SessionSettings struct {
	Integrations  []string `json:"integrations"`
	Categories    []string `json:"categories"`
	AllowActions  []string `json:"allow_actions"`
	IsolationMode bool     `json:"isolation_mode"`
	SandboxMode   bool     `json:"sandbox_mode"`
	AutoRedirect  bool     `json:"auto_redirect"`
	// Tools narrow the MCP tools of the session (docs/mcp.md).
	Tools ToolSettings `json:"tools"`
	// What the hosted page shows beside the forms (docs/hosted-page.md):
	// the category sidebar and the activity default to shown (nil is
	// true), guides and connection settings to shown, suggestions to
	// hidden.
	ShowSidebar          *bool `json:"show_sidebar"`
	ShowActivity         *bool `json:"show_activity"`
	HideGuides           bool  `json:"hide_guides"`
	HideResourceSettings bool  `json:"hide_resource_settings"`
	ShowSuggestions      bool  `json:"show_suggestions"`
}

// Sidebar reports whether the page shows its category sidebar.
func (s SessionSettings) Sidebar() bool { return s.ShowSidebar == nil || *s.ShowSidebar }

// Activity reports whether the page shows what was done with the
// connections.
func (s SessionSettings) Activity() bool { return s.ShowActivity == nil || *s.ShowActivity }

// ToolSettings narrow a session's tools: Allow (empty: all) and Deny hold
// tool names or patterns ending in * ("github_*"); ReadOnly keeps only the
// tools whose hints say read only.
type ToolSettings struct {
	Allow    []string `json:"allow"`
	Deny     []string `json:"deny"`
	ReadOnly bool     `json:"read_only"`
}

var toolPatternRe = regexp.MustCompile(`^(?:[a-z][a-z0-9_]{0,47}\*?|\*)$`)

// Admits reports whether the settings let the session use the tool.
func (t ToolSettings) Admits(name string, h ToolHints) bool {
	matches := func(list []string) bool {
		return slices.ContainsFunc(list, func(p string) bool {
			if prefix, ok := strings.CutSuffix(p, "*"); ok {
				return strings.HasPrefix(name, prefix)
			}
			return p == name
		})
	}
	return (len(t.Allow) == 0 || matches(t.Allow)) && !matches(t.Deny) && (!t.ReadOnly || h.ReadOnly)
}

// Shows reports whether a session with these settings may show the
// integration: settings.integrations and settings.categories name it (all
// when empty). Whether its account restriction admits the user is
// Integration.VisibleTo.
func (s SessionSettings) Shows(in *Integration) bool {
	return (len(s.Integrations) == 0 || slices.Contains(s.Integrations, in.Slug)) &&
		(len(s.Categories) == 0 || slices.Contains(s.Categories, in.Category))
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// The actions a hosted page may offer per connection.
var allActions = []string{"disconnect", "reauthorize", "delete", "disable"}

// DefaultAllowActions are offered when a session names none.
var DefaultAllowActions = []string{"disconnect", "reauthorize"}

// Normalize validates the settings and fills defaults (nil lists mean "all
// integrations", "all categories", DefaultAllowActions).
func (s *SessionSettings) Normalize(prefix string) error {
	if s.Integrations == nil {
		s.Integrations = []string{}
	}
	if s.Categories == nil {
		s.Categories = []string{}
	}
	if s.AllowActions == nil {
		s.AllowActions = append([]string{}, DefaultAllowActions...)
	}
	for _, b := range []**bool{&s.ShowSidebar, &s.ShowActivity} {
		if *b == nil {
			shown := true
			*b = &shown
		}
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"integrations", s.Integrations}, {"categories", s.Categories}} {
		if len(f.list) > 100 {
			return Invalidf(prefix+f.name, "At most 100 %s.", f.name)
		}
		for _, v := range f.list {
			if !slugRe.MatchString(v) {
				return Invalidf(prefix+f.name, "%q is not a valid slug (1 to 64 of a-z, 0-9, _ and -).", v)
			}
		}
	}
	for _, a := range s.AllowActions {
		if !slices.Contains(allActions, a) {
			return Invalidf(prefix+"allow_actions", "%q is not an action; use %s.", a, strings.Join(allActions, ", "))
		}
	}
	if s.Tools.Allow == nil {
		s.Tools.Allow = []string{}
	}
	if s.Tools.Deny == nil {
		s.Tools.Deny = []string{}
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"tools.allow", s.Tools.Allow}, {"tools.deny", s.Tools.Deny}} {
		if len(f.list) > 100 {
			return Invalidf(prefix+f.name, "At most 100 tool names or patterns.")
		}
		for _, v := range f.list {
			if !toolPatternRe.MatchString(v) {
				return Invalidf(prefix+f.name, "%q is neither a tool name (^[a-z][a-z0-9_]{0,47}$) nor one ending in * such as github_*.", v)
			}
		}
	}
	return nil
}

// DefaultSessionSettings is the canonical JSON of the settings of a session
// created without any: what Normalize makes of the zero SessionSettings.
var DefaultSessionSettings = func() json.RawMessage {
	var st SessionSettings
	if err := st.Normalize(""); err != nil {
		panic(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	return b
}()

// SessionInput is a request for a new session.
type SessionInput struct {
	User UserInput
	// TTLSeconds nil means the app's session_ttl_seconds.
	TTLSeconds     *int
	Refreshable    bool
	RedirectURI    string
	Settings       SessionSettings
	Theme          *Theme
	CustomSettings json.RawMessage
	Return         ReturnLink
}

// ConfigCode is a single-use configuration URL code, stored hashed.
type ConfigCode struct {
	Hash      []byte
	AppID     string
	SessionID string
	ExpiresAt time.Time
}

// SessionLimit is the per-user limit a new session must respect.
type SessionLimit struct {
	Max    int
	Policy string
}

// sessionLimit is the app's max_sessions_per_user with its policy.
func (app *App) sessionLimit() SessionLimit {
	return SessionLimit{Max: app.Settings.MaxSessionsPerUser, Policy: app.Settings.SessionLimitPolicy}
}

// RotatedSession is what RotateSessionTokens did.
type RotatedSession struct {
	Session         *Session // the renewed session; nil on error
	ReusedSessionID string   // the session of a refresh token used again
	Revoked         bool     // whether this call ended ReusedSessionID
	Evicted         []string // the sessions revoked to make room for a revived one
}

// NewSession is everything the store writes to create a session.
type NewSession struct {
	Session     *Session
	UserID      string // id to give the user if it is created
	User        UserInput
	TokenHash   []byte
	RefreshHash []byte // nil when not refreshable
	Code        *ConfigCode
	Limit       SessionLimit
}

// SessionFilter narrows a session list; sessions listed are always active.
type SessionFilter struct {
	UserID         *string
	ExternalUserID *string
}

// CreatedSession is the answer to a session creation: secrets shown once.
type CreatedSession struct {
	Session      *Session
	User         *User
	Token        string
	RefreshToken string
	Link         ConfigLink
	Evicted      []string // ids of sessions revoked to make room
}

// ConfigLink is a configuration URL with its expiry and the hint an agent
// shows the user.
type ConfigLink struct {
	URL           string
	ExpiresAt     time.Time
	AssistantHint string
}

// CreateSession validates in against app's settings, finds or creates the
// user, enforces the per-user limit and stores the session with a fresh
// configuration code.
func (s *Service) CreateSession(ctx context.Context, app *App, in SessionInput) (*CreatedSession, error) {
	return s.createSession(ctx, app, in, PrefixSessionToken, PrefixRefreshToken)
}

// createSession is CreateSession with the prefixes of the token and the
// refresh token: the authorization server's sessions have their own
// (authserver.go).
func (s *Service) createSession(ctx context.Context, app *App, in SessionInput, tokenPrefix, refreshPrefix string) (*CreatedSession, error) {
	if err := in.User.Normalize("user."); err != nil {
		return nil, err
	}
	st := app.Settings
	ttl := st.SessionTTLSeconds
	if in.TTLSeconds != nil {
		ttl = *in.TTLSeconds
		if ttl <= 0 || ttl > st.MaxSessionTTLSeconds {
			return nil, &Error{Code: CodeValidation, Field: "ttl_seconds",
				Message: fmt.Sprintf("ttl_seconds must be between 1 and the app's max_session_ttl_seconds (%d).", st.MaxSessionTTLSeconds),
				Details: map[string]any{"max_ttl_seconds": st.MaxSessionTTLSeconds}}
		}
	}
	if in.RedirectURI != "" && !st.RedirectAllowed(in.RedirectURI) {
		return nil, redirectRefused(st.AllowedRedirectURIs)
	}
	if err := in.Settings.Normalize("settings."); err != nil {
		return nil, err
	}
	theme := Theme{}
	if in.Theme != nil {
		theme = *in.Theme
		if err := theme.Validate("theme"); err != nil {
			return nil, err
		}
	}
	custom, err := NormalizeMetadata("custom_settings", in.CustomSettings)
	if err != nil {
		return nil, err
	}
	now := s.now()
	settingsJSON, _ := json.Marshal(in.Settings)
	themeJSON, _ := json.Marshal(theme)
	sess := &Session{
		ID: NewTimeID(PrefixSession, now), AppID: app.ID, Refreshable: in.Refreshable, TTLSeconds: ttl,
		RedirectURI: in.RedirectURI, Settings: settingsJSON, Theme: themeJSON, CustomSettings: custom,
		CreatedAt: now, ExpiresAt: now.Add(Seconds(int64(ttl))), Return: in.Return.Clean(),
	}
	token, tokenHash := NewToken(tokenPrefix)
	out := &CreatedSession{Session: sess, Token: token}
	ns := NewSession{Session: sess, UserID: NewTimeID(PrefixUser, now), User: in.User, TokenHash: tokenHash,
		Limit: app.sessionLimit()}
	if in.Refreshable {
		var refreshHash []byte
		out.RefreshToken, refreshHash = NewToken(refreshPrefix)
		ns.RefreshHash = refreshHash
		re := now.Add(Seconds(int64(st.MaxSessionTTLSeconds)))
		sess.RefreshExpiresAt = &re
	}
	code, link := s.newLink(app, sess, now)
	ns.Code = code
	user, evicted, err := s.store.CreateSession(ctx, ns)
	if err != nil {
		if e := AsError(err); e.Code == CodeConflict && e.Field == "email" {
			return nil, withField(e, "user.email")
		}
		return nil, err
	}
	out.User, out.Link, out.Evicted = user, link, evicted
	s.note(ctx, app.ID, user.ID, "", EventSessionCreated)
	for range evicted {
		s.note(ctx, app.ID, user.ID, "", EventSessionRevoked)
	}
	s.count(MetricSessionCreated, 1)
	s.count(MetricSessionRevoked, len(evicted))
	return out, nil
}

// maxListedRedirectURIs bounds the URIs a refusal's message lists;
// details.allowed_redirect_uris holds them all.
const maxListedRedirectURIs = 5

// redirectRefused is the 422 of a redirect_uri the app does not allow. It
// lists the allowed ones, which are the app's own settings and no secret
// to it (docs/openapi.json, createSession).
func redirectRefused(allowed []string) *Error {
	e := Invalidf("redirect_uri", "")
	e.Details = map[string]any{"allowed_redirect_uris": append([]string{}, allowed...)}
	switch n := len(allowed); {
	case n == 0:
		e.Message = "redirect_uri is not allowed: the app allows no redirect URIs yet; add it to settings.allowed_redirect_uris with PATCH /v1/app."
	case n > maxListedRedirectURIs:
		e.Message = fmt.Sprintf("redirect_uri must be exactly one of the app's allowed_redirect_uris: %s, … (all %d in details.allowed_redirect_uris).",
			strings.Join(allowed[:maxListedRedirectURIs], ", "), n)
	default:
		e.Message = "redirect_uri must be exactly one of the app's allowed_redirect_uris: " + strings.Join(allowed, ", ") + "."
	}
	return e
}

// newLink makes a single-use configuration code for sess, valid for the
// app's configuration_url_ttl_seconds but never past the session's end.
func (s *Service) newLink(app *App, sess *Session, now time.Time) (*ConfigCode, ConfigLink) {
	raw, hash := NewToken(PrefixConfigCode)
	exp := now.Add(Seconds(int64(app.Settings.ConfigurationURLTTLSeconds)))
	if sess.ExpiresAt.Before(exp) {
		exp = sess.ExpiresAt
	}
	code := &ConfigCode{Hash: hash, AppID: app.ID, SessionID: sess.ID, ExpiresAt: exp}
	link := ConfigLink{URL: s.PublicURL + "/connect/" + url.PathEscape(raw), ExpiresAt: exp}
	link.AssistantHint = "Tell the user to open the URL in 'configuration_url' to connect their tools. Always show the whole URL. It expires in " + HumanDuration(exp.Sub(now)) + "."
	return code, link
}

// HumanDuration says d in words: "15 minutes", "1 hour", "45 seconds".
func HumanDuration(d time.Duration) string {
	secs := int(d.Round(time.Second) / time.Second)
	unit := func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	switch {
	case secs >= 3600 && secs%3600 == 0:
		return unit(secs/3600, "hour")
	case secs >= 60 && secs%60 == 0:
		return unit(secs/60, "minute")
	case secs >= 120:
		return unit((secs+30)/60, "minute")
	}
	return unit(secs, "second")
}

// NewConfigLink issues a fresh configuration URL for an active session
// (CodeNotFound when unknown or revoked; CodeConflict when expired).
func (s *Service) NewConfigLink(ctx context.Context, app *App, sessionID string) (*Session, ConfigLink, error) {
	sess, err := s.activeSession(ctx, app.ID, sessionID)
	if err != nil {
		return nil, ConfigLink{}, err
	}
	code, link := s.newLink(app, sess, s.now())
	if err := s.store.CreateConfigCode(ctx, code); err != nil {
		return nil, ConfigLink{}, err
	}
	return sess, link, nil
}

// activeSession finds a session that can still be acted on.
func (s *Service) activeSession(ctx context.Context, appID, id string) (*Session, error) {
	sess, err := s.store.FindSessionByID(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	if sess.RevokedAt != nil {
		return nil, NotFound("Session")
	}
	if now := s.now(); !sess.Active(now) {
		return nil, SessionExpired(sess.RefreshExpiresAt != nil && sess.RefreshExpiresAt.After(now))
	}
	return sess, nil
}

// SessionExpired is the refusal to act on an expired session (409). One
// whose refresh token still works can come back: the message says so.
func SessionExpired(refreshable bool) *Error {
	if refreshable {
		return Errorf(CodeConflict, "The session has expired; refresh it with its refresh token (POST /v1/tokens/refresh), or create a new one.")
	}
	return Errorf(CodeConflict, "The session has expired; create a new one.")
}

// FindSession returns a session that has not been revoked (expired ones are
// shown until purged).
func (s *Service) FindSession(ctx context.Context, appID, id string) (*Session, error) {
	sess, err := s.store.FindSessionByID(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	if sess.RevokedAt != nil {
		return nil, NotFound("Session")
	}
	return sess, nil
}

// ListSessions returns a page of active sessions, oldest first.
func (s *Service) ListSessions(ctx context.Context, appID string, f SessionFilter, r PageRequest) (Page[Session], error) {
	scope := "sessions\x00" + appID + "\x00" + deref(f.UserID) + "\x00" + deref(f.ExternalUserID)
	now := s.now()
	return paginate(s.Pages, scope, r, func(x Session) Cursor { return Cursor{x.CreatedAt, x.ID} },
		func(q ListQuery) ([]Session, error) { return s.store.ListActiveSessions(ctx, appID, f, now, q) })
}

// ExtendSession sets expires_at to now + ttl, within the app's maximum
// measured from the session's creation. A ttl past that maximum, however
// large, is refused and the session is left as it was. The store checks
// the session's state and the maximum in the statement that extends it.
func (s *Service) ExtendSession(ctx context.Context, app *App, id string, ttl int) (*Session, error) {
	if ttl <= 0 {
		return nil, Invalidf("ttl_seconds", "ttl_seconds must be a positive number of seconds.")
	}
	return s.store.ExtendSession(ctx, app.ID, id, s.now().Add(Seconds(int64(ttl))), app.Settings.MaxSessionTTLSeconds)
}

// ExtendBeyondMax is the refusal of an extension that would take a session
// created at createdAt past maxTTLSeconds from its creation, at now.
func ExtendBeyondMax(maxTTLSeconds int, createdAt, now time.Time) *Error {
	limit := createdAt.Add(Seconds(int64(maxTTLSeconds)))
	left := max(int(limit.Sub(now)/time.Second), 0)
	msg := fmt.Sprintf("A session may live at most max_session_ttl_seconds (%d) from its creation; at most %d more seconds are possible.", maxTTLSeconds, left)
	if left == 0 {
		// Reached, or the app lowered its maximum below the session's age.
		msg = fmt.Sprintf("A session may live at most max_session_ttl_seconds (%d) from its creation; this one has reached it and cannot be extended (it still ends at its expires_at).", maxTTLSeconds)
	}
	return &Error{Code: CodeValidation, Field: "ttl_seconds", Message: msg, Details: map[string]any{"max_ttl_seconds": left}}
}

// RevokeSession ends a session at once (CodeNotFound if unknown or already
// revoked).
func (s *Service) RevokeSession(ctx context.Context, appID, id string) error {
	if err := s.store.RevokeSession(ctx, appID, id); err != nil {
		return err
	}
	s.note(ctx, appID, s.userOfSession(ctx, appID, id), "", EventSessionRevoked)
	s.count(MetricSessionRevoked, 1)
	return nil
}

// userOfSession is the user of a session, for the activity row of its
// revocation; "" when it cannot be read (the row is still written).
func (s *Service) userOfSession(ctx context.Context, appID, id string) string {
	if id == "" {
		return ""
	}
	sess, err := s.store.FindSessionByID(ctx, appID, id)
	if err != nil {
		return ""
	}
	return sess.UserID
}

// RevokeUserSessions ends every session of a user and says how many were
// active.
func (s *Service) RevokeUserSessions(ctx context.Context, appID, userID string) (int, error) {
	n, err := s.store.RevokeUserSessions(ctx, appID, userID)
	for range n {
		s.note(ctx, appID, userID, "", EventSessionRevoked)
	}
	s.count(MetricSessionRevoked, n)
	return n, err
}

var (
	errInvalidToken = &Error{Code: CodeInvalidToken, Message: "The session token is invalid, expired or revoked."}
	// errInvalidRefreshToken is the store's answer to an unusable refresh
	// token, given for one that is not a refresh token at all.
	errInvalidRefreshToken = &Error{Code: CodeInvalidToken, Message: "The refresh token is invalid, expired or revoked."}
)

// ValidateToken returns the active session of a session token and its user:
// the hot path of /v1/me, one indexed lookup and no write.
func (s *Service) ValidateToken(ctx context.Context, raw string) (*Session, *User, error) {
	hash := HashToken(raw)
	sess, user, err := s.store.FindSessionByTokenHash(ctx, hash)
	if err != nil {
		if ErrorCode(err) == CodeNotFound {
			return nil, nil, errInvalidToken
		}
		return nil, nil, err
	}
	if !sess.Active(s.now()) || !TokenHasPrefix(raw, PrefixSessionToken) {
		return nil, nil, errInvalidToken
	}
	return sess, user, nil
}

// RefreshedSession is the answer to a refresh: new secrets, shown once.
type RefreshedSession struct {
	Session      *Session
	Token        string
	RefreshToken string
}

// RefreshSession rotates a session's token and refresh token. A refresh
// token that was already rotated away is a sign of theft: the session is
// revoked and CodeInvalidToken returned.
func (s *Service) RefreshSession(ctx context.Context, app *App, refreshToken string) (*RefreshedSession, error) {
	return s.refreshSession(ctx, app, refreshToken, PrefixRefreshToken, PrefixSessionToken, app.sessionLimit())
}

// refreshSession is RefreshSession for refresh tokens of refreshPrefix,
// issuing tokens of tokenPrefix: a session keeps its kind of tokens.
func (s *Service) refreshSession(ctx context.Context, app *App, refreshToken, refreshPrefix, tokenPrefix string, limit SessionLimit) (*RefreshedSession, error) {
	if !TokenHasPrefix(refreshToken, refreshPrefix) {
		return nil, errInvalidRefreshToken
	}
	// Refreshes that arrive while the token is current race each other:
	// one wins, and the others are refused without ending the session the
	// winner renewed. One that arrives after the token was rotated away is
	// a reuse (SPEC §4). Arrival is when the request reached Portico, not
	// when this code runs, which may be after the winner's commit.
	arrived := CallerFrom(ctx).Arrived
	if arrived.IsZero() {
		arrived = s.now()
	}
	token, tokenHash := NewToken(tokenPrefix)
	refresh, refreshHash := NewToken(refreshPrefix)
	rs, err := s.store.RotateSessionTokens(ctx, app.ID, HashToken(refreshToken), tokenHash, refreshHash, arrived, limit)
	if rs.Revoked {
		s.note(ctx, app.ID, s.userOfSession(ctx, app.ID, rs.ReusedSessionID), "", EventSessionRevoked)
		s.count(MetricSessionRevoked, 1)
	}
	if rs.ReusedSessionID != "" {
		s.Log.Warn("security_refresh_token_reuse", slog.String("app_id", app.ID), slog.String("session_id", rs.ReusedSessionID),
			slog.String("action", "session_revoked"))
	}
	if err != nil {
		return nil, err
	}
	for range rs.Evicted {
		s.note(ctx, app.ID, rs.Session.UserID, "", EventSessionRevoked)
	}
	s.count(MetricSessionRevoked, len(rs.Evicted))
	return &RefreshedSession{Session: rs.Session, Token: token, RefreshToken: refresh}, nil
}

// PurgeSessions deletes up to batch sessions that ended before now - grace
// and reports how many it deleted.
func (s *Service) PurgeSessions(ctx context.Context, grace time.Duration, batch int) (int, error) {
	return s.store.PurgeSessions(ctx, s.now().Add(-grace), batch)
}
