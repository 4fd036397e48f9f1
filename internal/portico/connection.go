package portico

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PrefixConnection starts every connection id.
const PrefixConnection = "con_"

// Connection statuses.
const (
	StatusConnected = "connected"
	StatusExpired   = "expired"
	StatusRevoked   = "revoked"
	StatusError     = "error"
)

// ConnectionStatuses lists the statuses a connection can show.
var ConnectionStatuses = []string{StatusConnected, StatusExpired, StatusRevoked, StatusError}

// Connection is one user's credentials for one integration.
type Connection struct {
	ID          string
	AppID       string
	UserID      string
	Integration string // the integration's slug
	// Status is the stored status; StatusAt gives the one to show.
	Status string
	// Fields names the credential values stored (never the values).
	Fields []string
	// Credentials is the sealed JSON of the values (ConnectionAAD); ""
	// once revoked.
	Credentials string
	// Refreshable tells that the credentials hold an OAuth2 refresh token,
	// so that passing ExpiresAt does not end the connection.
	Refreshable bool
	// ExpiresAt is when the credentials stop working (an access token's
	// expiry); nil when they do not expire.
	ExpiresAt *time.Time
	// RefreshedAt is when a refresh stored the access token, whose life
	// then is ExpiresAt minus RefreshedAt; nil for credentials stored any
	// other way (a connect, an import), whose life is not known.
	RefreshedAt *time.Time
	// Settings are the values of the integration's settings_fields (not
	// secret); empty when it declares none.
	Settings map[string]string
	// AccountLabel is who the credential belongs to, from the verify
	// answer ("Connected as …"); nil when unknown.
	AccountLabel *string
	// Warning, on a connection just made, says why its credential could
	// not be verified (the provider was unreachable). It is not stored.
	Warning   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusAt is the status to show at now: a connected connection whose
// credentials expired and cannot be refreshed is expired.
func (c *Connection) StatusAt(now time.Time) string {
	if c.Status == StatusConnected && c.ExpiresAt != nil && !now.Before(*c.ExpiresAt) && !c.Refreshable {
		return StatusExpired
	}
	return c.Status
}

// ConnectionAAD binds sealed credentials to their app, user and connection:
// a ciphertext copied to another row does not open.
func ConnectionAAD(appID, userID, connectionID string) string {
	return "portico:connection:" + appID + ":" + userID + ":" + connectionID
}

// Credentials are the plaintext values of a connection: field name to
// value, or the OAuth2 token keys. They print and log as [REDACTED].
type Credentials map[string]string

// String implements fmt.Stringer.
func (Credentials) String() string { return "[REDACTED]" }

// GoString implements fmt.GoStringer.
func (Credentials) GoString() string { return "[REDACTED]" }

// LogValue implements slog.LogValuer.
func (Credentials) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// CheckedCredentials are valid credentials and what they tell.
type CheckedCredentials struct {
	Values      Credentials
	Fields      []string // the names present, in a stable order
	ExpiresAt   *time.Time
	Refreshable bool
}

// CheckCredentials validates credentials against the integration's
// declared fields: every key must be a declared field (for OAuth2 also a
// token key), every required field present, values at most 8 KiB of text
// without control characters. Errors are 422s naming
// credentials.<field>. Empty optional values are dropped.
func (in *Integration) CheckCredentials(c Credentials) (*CheckedCredentials, error) {
	out := &CheckedCredentials{Values: Credentials{}, Fields: []string{}}
	allowed := map[string]bool{}
	for _, f := range in.Auth.Fields {
		allowed[f.Name] = true
	}
	if in.Auth.Type == AuthOAuth2 {
		for _, k := range tokenKeys {
			allowed[k] = true
		}
	}
	// Sorted, so that the error for several bad keys is always the same.
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := c[k]
		field := "credentials." + k
		if !allowed[k] {
			if in.Auth.Type == AuthNone {
				return nil, Invalidf(field, "%s takes no credentials.", in.Name)
			}
			return nil, Invalidf(field, "%q is not a credential field of %s.", k, in.Name)
		}
		if strings.TrimSpace(v) == "" {
			// Blank is empty: the one check for the API, the hosted
			// page and the compatible surfaces alike.
			continue
		}
		if len(v) > MaxCredentialValueLen || !utf8.ValidString(v) || hasControl(v) {
			// Named as the form names it: the hosted page shows this
			// message to the user, details.field names the key.
			name := k
			if i := slices.IndexFunc(in.Auth.Fields, func(f Field) bool { return f.Name == k }); i >= 0 && in.Auth.Fields[i].Label != "" {
				name = in.Auth.Fields[i].Label
			}
			return nil, Invalidf(field, "%s must be at most %d bytes of text without control characters.", name, MaxCredentialValueLen)
		}
		out.Values[k] = v
	}
	for _, f := range in.Auth.Fields {
		if _, ok := out.Values[f.Name]; !ok && !f.Optional {
			return nil, Invalidf("credentials."+f.Name, "%s is required.", f.Label)
		}
	}
	if in.Auth.Type == AuthOAuth2 {
		if out.Values[TokenAccess] == "" {
			return nil, Invalidf("credentials."+TokenAccess, "access_token is required.")
		}
		if v, ok := out.Values[TokenExpiresAt]; ok {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, Invalidf("credentials."+TokenExpiresAt, "expires_at must be an RFC 3339 time such as 2030-01-02T15:04:05Z.")
			}
			t = t.UTC().Truncate(time.Second)
			out.ExpiresAt = &t
			out.Values[TokenExpiresAt] = t.Format(time.RFC3339)
		}
		out.Refreshable = out.Values[TokenRefresh] != ""
		for _, k := range tokenKeys {
			if _, ok := out.Values[k]; ok && k != TokenExpiresAt {
				out.Fields = append(out.Fields, k)
			}
		}
	}
	for _, f := range in.Auth.Fields {
		if _, ok := out.Values[f.Name]; ok {
			out.Fields = append(out.Fields, f.Name)
		}
	}
	return out, nil
}

// ConnectionFilter narrows a connection list.
type ConnectionFilter struct {
	UserID      *string
	Integration *string
	// Status is compared with the status shown (StatusAt), not the stored one.
	Status *string
	// Integrations, when not nil, keeps only connections to these slugs
	// (what a session may show); empty keeps none.
	Integrations []string
}

// ImportConnection stores credentials a server sends for a user
// (PUT /v1/users/{id}/connections/{slug}): it creates the connection or
// replaces its credentials, and sets it connected. CodeNotFound for an
// unknown user or integration, CodeForbidden when the integration is
// restricted to accounts the user is not in, CodeValidation for
// credentials that do not fit the integration's fields.
func (s *Service) ImportConnection(ctx context.Context, appID, userID, slug string, creds Credentials) (*Connection, bool, error) {
	return s.ImportConnectionSettings(ctx, appID, userID, slug, creds, nil)
}

// ImportConnectionSettings is ImportConnection with the connection's
// settings (the values of the integration's settings_fields). When the
// integration declares a verify request, the credential is checked with
// the provider first (docs/catalog-data.md): rejected, nothing is stored
// (CodeValidation); unreachable, it is stored and Connection.Warning says
// so.
func (s *Service) ImportConnectionSettings(ctx context.Context, appID, userID, slug string, creds Credentials, settings map[string]string) (*Connection, bool, error) {
	user, err := s.store.FindUserByID(ctx, appID, userID)
	if err != nil {
		return nil, false, err
	}
	integ, err := s.FindIntegration(ctx, appID, slug)
	if err != nil {
		return nil, false, err
	}
	return s.putConnection(ctx, user, integ, creds, settings, nil)
}

// FindIntegration returns an integration; a malformed slug is CodeNotFound
// like an unknown one.
func (s *Service) FindIntegration(ctx context.Context, appID, slug string) (*Integration, error) {
	if !slugRe.MatchString(slug) {
		return nil, NotFound("Integration")
	}
	return s.store.FindIntegration(ctx, appID, slug)
}

// putConnection checks creds and settings, verifies the credential with
// the provider when the integration says how, and seals and stores them
// for user.
func (s *Service) putConnection(ctx context.Context, user *User, integ *Integration, creds Credentials, settings map[string]string, guard *ConnectGuard) (*Connection, bool, error) {
	if err := visibleTo(integ, user); err != nil {
		return nil, false, err
	}
	cc, err := s.checkConnection(ctx, integ, creds, settings)
	if err != nil {
		return nil, false, err
	}
	return s.storeConnection(ctx, user, integ, cc, guard)
}

// ConnectGuard is what a connection's write checks in its own transaction:
// the states it depends on may change while its credential is checked, and
// a provider's token exchange or verification can take seconds.
type ConnectGuard struct {
	// Session, when not "", is the session of the hosted page that
	// connects: a session revoked or expired by Now refuses the write
	// (ErrSessionEnded), as it refuses the page's next request.
	Session string
	Now     time.Time
	// Replace, when not nil, is asked with the status of the connection
	// the write would replace; its error leaves that connection as it is.
	Replace func(status string) error
}

// visibleTo refuses user an integration restricted to accounts it is in
// none of; checked before a credential is verified with the provider.
func visibleTo(integ *Integration, user *User) error {
	if !integ.VisibleTo(user) {
		return &Error{Code: CodeForbidden, Message: integ.Name + " is restricted to members of certain accounts; the user is in none of them.",
			Details: map[string]any{"integration": integ.Slug}}
	}
	return nil
}

// checkedConnection is a credential that passed its integration's checks
// and, when the integration says how, the provider's verification.
type checkedConnection struct {
	*CheckedCredentials
	settings map[string]string
	ver      verification
}

func (s *Service) checkConnection(ctx context.Context, integ *Integration, creds Credentials, settings map[string]string) (*checkedConnection, error) {
	ch, err := integ.CheckCredentials(creds)
	if err != nil {
		return nil, err
	}
	set, err := integ.CheckSettings(settings, s.AllowPrivateUpstreams)
	if err != nil {
		return nil, err
	}
	ver, err := s.verifyCredential(ctx, integ, ch.Values, set)
	if err != nil {
		return nil, err
	}
	return &checkedConnection{CheckedCredentials: ch, settings: set, ver: ver}, nil
}

// storeConnection seals and stores a checked credential for user.
func (s *Service) storeConnection(ctx context.Context, user *User, integ *Integration, cc *checkedConnection, guard *ConnectGuard) (*Connection, bool, error) {
	if err := visibleTo(integ, user); err != nil {
		return nil, false, err
	}
	ch, set, ver := cc.CheckedCredentials, cc.settings, cc.ver
	plain, err := json.Marshal(ch.Values)
	if err != nil {
		return nil, false, err
	}
	c := &Connection{ID: NewTimeID(PrefixConnection, s.now()), AppID: user.AppID, UserID: user.ID, Integration: integ.Slug,
		Status: StatusConnected, Fields: ch.Fields, Refreshable: ch.Refreshable, ExpiresAt: ch.ExpiresAt,
		Settings: set, AccountLabel: ver.Label}
	created, err := s.store.PutConnection(ctx, c, func(id string) (string, error) {
		return s.Sealer.Seal(plain, ConnectionAAD(c.AppID, c.UserID, id))
	}, guard)
	if err != nil {
		return nil, false, err
	}
	s.Connected.Publish(c.AppID, c.UserID, c.Integration)
	c.Warning = ver.Warning
	typ := EventConnectionUpdated
	if created {
		typ = EventConnectionCreated
	}
	s.note(ctx, c.AppID, c.UserID, c.Integration, typ)
	return c, created, nil
}

// revoked passes on a revocation's answer, recording it when it happened.
func (s *Service) revoked(ctx context.Context) func(*Connection, error) (*Connection, error) {
	return func(c *Connection, err error) (*Connection, error) {
		if err == nil {
			s.note(ctx, c.AppID, c.UserID, c.Integration, EventConnectionRevoked)
		}
		return c, err
	}
}

// OpenCredentials decrypts a connection's credentials (empty once revoked).
func (s *Service) OpenCredentials(c *Connection) (Credentials, error) {
	out := Credentials{}
	if c.Credentials == "" {
		return out, nil
	}
	plain, err := s.Sealer.Open(c.Credentials, ConnectionAAD(c.AppID, c.UserID, c.ID))
	if err != nil {
		return nil, undecryptable(err)
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// undecryptable is the answer to a stored secret this node cannot open:
// its encryption keys lack the one it was sealed with, as when
// 'portico encryption rotate' ran while the node was up with the old key
// alone (docs/operations.md). The operator's to fix, so 503, the cause in
// the log.
func undecryptable(err error) error {
	return &Error{Code: CodeUnavailable, Err: err,
		Message: "This server cannot decrypt the stored credentials with its encryption keys; its operator must restart it with the current keys."}
}

// ListConnections returns a page of an app's connections, oldest first.
// CodeInvalid for an unknown status filter.
func (s *Service) ListConnections(ctx context.Context, appID string, f ConnectionFilter, r PageRequest) (Page[Connection], error) {
	if f.Status != nil && !slices.Contains(ConnectionStatuses, *f.Status) {
		return Page[Connection]{}, Invalid("status", "status must be one of connected, expired, revoked, error.")
	}
	scope := "connections\x00" + appID + "\x00" + deref(f.UserID) + "\x00" + deref(f.Integration) + "\x00" + deref(f.Status)
	for _, i := range f.Integrations {
		scope += "\x00" + i
	}
	now := s.now()
	return paginate(s.Pages, scope, r, func(c Connection) Cursor { return Cursor{c.CreatedAt, c.ID} },
		func(q ListQuery) ([]Connection, error) { return s.store.ListConnections(ctx, appID, f, now, q) })
}

// FindConnection returns a connection of the app (CodeNotFound).
func (s *Service) FindConnection(ctx context.Context, appID, id string) (*Connection, error) {
	return s.store.FindConnectionByID(ctx, appID, id)
}

// RevokeConnection erases a connection's credentials and marks it revoked.
// Revoking a revoked connection changes nothing and returns it.
func (s *Service) RevokeConnection(ctx context.Context, appID, id string) (*Connection, error) {
	return s.revoked(ctx)(s.store.RevokeConnection(ctx, appID, id, ""))
}

// SessionSettingsOf decodes a session's canonical settings. The store
// holds what CreateSession wrote; settings that do not decode are a
// damaged row, an internal error rather than a session that shows
// everything.
func SessionSettingsOf(sess *Session) (SessionSettings, error) {
	var st SessionSettings
	if err := json.Unmarshal(sess.Settings, &st); err != nil {
		return SessionSettings{}, fmt.Errorf("decode settings of session %s: %w", sess.ID, err)
	}
	return st, nil
}

// SessionIntegrations returns the integrations a session may show its
// user, oldest first: the app's integrations that the session's
// settings.integrations and settings.categories name (all when empty) and
// whose account restriction admits the user.
func (s *Service) SessionIntegrations(ctx context.Context, sess *Session, user *User) ([]Integration, error) {
	all, err := s.store.ListIntegrations(ctx, sess.AppID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
	if err != nil {
		return nil, err
	}
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return nil, err
	}
	out := []Integration{}
	for _, in := range all {
		if st.Shows(&in) && in.VisibleTo(user) {
			out = append(out, in)
		}
	}
	return out, nil
}

func slugsOf(ins []Integration) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.Slug
	}
	return out
}

// IntegrationState is one row of a hosted page: an integration the session
// may show and the user's connection to it (nil when never connected).
type IntegrationState struct {
	Integration Integration
	Connection  *Connection
	// Status is the connection's StatusAt, or "" when there is none.
	Status string
}

// SessionState returns every integration the session may show with the
// user's connection to each: what the hosted page lists.
func (s *Service) SessionState(ctx context.Context, sess *Session, user *User) ([]IntegrationState, error) {
	ins, err := s.SessionIntegrations(ctx, sess, user)
	if err != nil {
		return nil, err
	}
	return s.integrationStates(ctx, sess.AppID, user, ins)
}

// integrationStates pairs each of ins with user's connection to it; a nil
// user has none.
func (s *Service) integrationStates(ctx context.Context, appID string, user *User, ins []Integration) ([]IntegrationState, error) {
	by := map[string]*Connection{}
	if user != nil && len(ins) > 0 {
		conns, err := s.store.ListConnections(ctx, appID, ConnectionFilter{UserID: &user.ID, Integrations: slugsOf(ins)},
			s.now(), ListQuery{Limit: MaxIntegrationsPerApp + 1})
		if err != nil {
			return nil, err
		}
		for i := range conns {
			by[conns[i].Integration] = &conns[i]
		}
	}
	now := s.now()
	out := make([]IntegrationState, len(ins))
	for i, in := range ins {
		out[i] = IntegrationState{Integration: in}
		if c := by[in.Slug]; c != nil {
			out[i].Connection, out[i].Status = c, c.StatusAt(now)
		}
	}
	return out, nil
}

// ListSessionConnections returns a page of the session user's own
// connections to the integrations the session may show.
func (s *Service) ListSessionConnections(ctx context.Context, sess *Session, user *User, r PageRequest) (Page[Connection], error) {
	ins, err := s.SessionIntegrations(ctx, sess, user)
	if err != nil {
		return Page[Connection]{}, err
	}
	scope := "me-connections\x00" + sess.AppID + "\x00" + sess.ID
	f := ConnectionFilter{UserID: &user.ID, Integrations: slugsOf(ins)}
	now := s.now()
	return paginate(s.Pages, scope, r, func(c Connection) Cursor { return Cursor{c.CreatedAt, c.ID} },
		func(q ListQuery) ([]Connection, error) { return s.store.ListConnections(ctx, sess.AppID, f, now, q) })
}

// sessionIntegration finds an integration the session may show
// (CodeNotFound otherwise, as if it did not exist).
func (s *Service) sessionIntegration(ctx context.Context, sess *Session, user *User, slug string) (*Integration, error) {
	integ, err := s.FindIntegration(ctx, sess.AppID, slug)
	if err != nil {
		return nil, err
	}
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return nil, err
	}
	if !st.Shows(integ) || !integ.VisibleTo(user) {
		return nil, NotFound("Integration")
	}
	return integ, nil
}

// ConnectForSession stores credentials and settings the user entered on
// the hosted page for an integration its session may show (CodeNotFound
// otherwise), verified as ImportConnectionSettings does.
func (s *Service) ConnectForSession(ctx context.Context, sess *Session, user *User, slug string, creds Credentials, settings map[string]string) (*Connection, bool, error) {
	integ, err := s.sessionIntegration(ctx, sess, user, slug)
	if err != nil {
		return nil, false, err
	}
	if err := s.mayReplace(ctx, sess, user, integ); err != nil {
		return nil, false, err
	}
	// Checked again where the connection is written: two forms sent at
	// once both pass the check above before either is stored.
	replace, err := s.replaceRule(sess, integ)
	if err != nil {
		return nil, false, err
	}
	return s.putConnection(ctx, user, integ, creds, settings, &ConnectGuard{Session: sess.ID, Now: s.now(), Replace: replace})
}

// mayReplace refuses new credentials in place of the user's connected ones
// when the session's allow_actions lack reauthorize (docs/hosted-page.md);
// a connection that is not connected (expired, needing attention,
// disconnected) may always be connected again.
func (s *Service) mayReplace(ctx context.Context, sess *Session, user *User, integ *Integration) error {
	replace, err := s.replaceRule(sess, integ)
	if err != nil || replace == nil {
		return err
	}
	c, err := s.store.FindConnection(ctx, sess.AppID, user.ID, integ.Slug)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return nil
	case err != nil:
		return err
	}
	return replace(c.Status)
}

// replaceRule is mayReplace's rule for a connection's status, nil when the
// session allows reauthorize.
func (s *Service) replaceRule(sess *Session, integ *Integration) (func(status string) error, error) {
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return nil, err
	}
	if slices.Contains(st.AllowActions, ActionReauthorize) {
		return nil, nil
	}
	return func(status string) error {
		if status == StatusConnected {
			return Errorf(CodeForbidden, "%s is connected already, and this session does not allow the action %q.", integ.Name, ActionReauthorize)
		}
		return nil
	}, nil
}

// UpdateSessionConnectionSettings changes the settings of one of the
// session user's connections (the hosted page's "Connection settings"):
// the credentials stay, the new values are checked and, when the
// integration says how, verified with them as a connect is. CodeNotFound
// for another user's connection or one the session may not show;
// CodeConflict for a revoked connection, which has no credentials to keep.
func (s *Service) UpdateSessionConnectionSettings(ctx context.Context, sess *Session, user *User, id string, settings map[string]string) (*Connection, error) {
	c, err := s.store.FindConnectionByID(ctx, sess.AppID, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != user.ID {
		return nil, NotFound("Connection")
	}
	integ, err := s.sessionIntegration(ctx, sess, user, c.Integration)
	if err != nil {
		return nil, NotFound("Connection")
	}
	if c.Credentials == "" {
		return nil, Errorf(CodeConflict, "This connection was disconnected; connect it again to change its settings.")
	}
	creds, err := s.OpenCredentials(c)
	if err != nil {
		return nil, err
	}
	out, _, err := s.putConnection(ctx, user, integ, creds, settings, &ConnectGuard{Session: sess.ID, Now: s.now()})
	return out, err
}

// RevokeSessionConnection lets a session's user revoke one of its own
// connections, to an integration the session may show, when the session's
// allow_actions include disconnect or delete (CodeForbidden otherwise).
// Another user's connection is CodeNotFound.
func (s *Service) RevokeSessionConnection(ctx context.Context, sess *Session, user *User, id string) (*Connection, error) {
	c, err := s.store.FindConnectionByID(ctx, sess.AppID, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != user.ID {
		return nil, NotFound("Connection")
	}
	if _, err := s.sessionIntegration(ctx, sess, user, c.Integration); err != nil {
		return nil, NotFound("Connection")
	}
	st, err := SessionSettingsOf(sess)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(st.AllowActions, "disconnect") && !slices.Contains(st.AllowActions, "delete") {
		return nil, Errorf(CodeForbidden, "This session does not allow disconnecting; its allow_actions name neither disconnect nor delete.")
	}
	return s.revoked(ctx)(s.store.RevokeConnection(ctx, sess.AppID, id, user.ID))
}
