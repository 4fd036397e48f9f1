package portico

import (
	"context"
	"time"
)

// Store persists the domain. Every method that touches tenant data takes the
// app id and never sees another app's rows: an id of another app is
// CodeNotFound. Methods return *Error values with the codes they document;
// anything else is an internal failure (CodeUnavailable when the database
// cannot be reached).
type Store interface {
	LinkStore
	OAuthStore
	ConnectionDeleter
	RefreshStore
	EventStore
	AppAdminStore
	ActivityStore
	ApprovalStore
	VerificationStore
	AuthServerStore

	// Ping checks that the database answers (CodeUnavailable).
	Ping(ctx context.Context) error

	// CreateApp inserts app and its first key.
	CreateApp(ctx context.Context, app *App, key *APIKey) error
	// ListApps returns every app, oldest first.
	ListApps(ctx context.Context) ([]App, error)
	// FindAppByID returns an app (CodeNotFound).
	FindAppByID(ctx context.Context, id string) (*App, error)
	// UpdateApp stores app's name, settings and webhook secret (CodeNotFound).
	UpdateApp(ctx context.Context, app *App) error

	// CreateAPIKey inserts a key for an existing app (CodeNotFound).
	CreateAPIKey(ctx context.Context, key *APIKey) error
	// ListAPIKeys returns an app's keys, revoked ones included, oldest first.
	ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error)
	// RevokeAPIKey revokes one of the app's keys (CodeNotFound, also when
	// already revoked or of another app).
	RevokeAPIKey(ctx context.Context, appID, keyID string) error
	// FindActiveAPIKeyByHash returns the unrevoked key with this hash and
	// its app; CodeNotFound for an unknown and for a revoked key alike,
	// which the lookup tells apart no more than it must: neither reads the
	// app (authentication must not take longer for a revoked key than for
	// an unknown one).
	FindActiveAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, *App, error)

	// FindOrCreateUser finds the user keyed by in (external id, else email)
	// or creates it with id newID. A found user only gains in.AccountIDs.
	// CodeValidation when an account id is unknown; CodeQuotaExceeded when
	// the app's max_users is reached.
	FindOrCreateUser(ctx context.Context, appID, newID string, in UserInput) (user *User, created bool, err error)
	// FindUserByID returns a user (CodeNotFound).
	FindUserByID(ctx context.Context, appID, id string) (*User, error)
	// FindUserByExternalID returns the user with this external id
	// (CodeNotFound).
	FindUserByExternalID(ctx context.Context, appID, externalID string) (*User, error)
	// ListUsers returns users oldest first.
	ListUsers(ctx context.Context, appID string, f UserFilter, q ListQuery) ([]User, error)
	// UpdateUser applies u (CodeNotFound; CodeConflict when the new external
	// id or email key is taken; CodeValidation for an unknown account id).
	UpdateUser(ctx context.Context, appID, id string, u UserUpdate) (*User, error)
	// DeleteUser erases a user with everything it owns (CodeNotFound).
	DeleteUser(ctx context.Context, appID, id string) error

	// CreateAccount inserts an account (CodeConflict when the id is taken).
	CreateAccount(ctx context.Context, a *Account) error
	// FindAccountByID returns an account (CodeNotFound).
	FindAccountByID(ctx context.Context, appID, id string) (*Account, error)
	// ListAccounts returns accounts oldest first.
	ListAccounts(ctx context.Context, appID string, q ListQuery) ([]Account, error)
	// UpdateAccount renames an account (CodeNotFound).
	UpdateAccount(ctx context.Context, appID, id, name string) (*Account, error)
	// DeleteAccount deletes an account and its memberships (CodeNotFound).
	DeleteAccount(ctx context.Context, appID, id string) error

	// CreateSession finds or creates ns.User (as FindOrCreateUser does),
	// applies ns.Limit to the user's active sessions — evicting the oldest
	// or failing with CodeSessionLimitReached, exactly under concurrency —
	// and stores the session with its configuration code. It returns the
	// user and the ids of evicted sessions.
	CreateSession(ctx context.Context, ns NewSession) (*User, []string, error)
	// SetSessionReturn replaces a session's return link.
	SetSessionReturn(ctx context.Context, appID, id string, ret ReturnLink) error
	// CreateConfigCode stores a configuration code for an existing session.
	CreateConfigCode(ctx context.Context, code *ConfigCode) error
	// FindSessionByID returns a session, revoked or expired ones included
	// until purged (CodeNotFound).
	FindSessionByID(ctx context.Context, appID, id string) (*Session, error)
	// FindSessionByTokenHash returns the session of a token hash with its
	// user, whatever the session's state (CodeNotFound).
	FindSessionByTokenHash(ctx context.Context, hash []byte) (*Session, *User, error)
	// FindSessionIDByRefreshHash returns the id of appID's session whose
	// refresh token, current or rotated away, has this hash, whatever the
	// session's state (CodeNotFound).
	FindSessionIDByRefreshHash(ctx context.Context, appID string, hash []byte) (string, error)
	// ListActiveSessions returns sessions neither revoked nor expired at
	// now, oldest first (by creation time, then id).
	ListActiveSessions(ctx context.Context, appID string, f SessionFilter, now time.Time, q ListQuery) ([]Session, error)
	// NewestActiveSession returns the user's newest session (by creation
	// time, then id) neither revoked nor expired at now for which suits
	// is true, or nil when there is none; an error of suits ends the
	// search and is returned.
	NewestActiveSession(ctx context.Context, appID, userID string, now time.Time, suits func(*Session) (bool, error)) (*Session, error)
	// ExtendSession sets the expiry of an active session, at most
	// maxTTLSeconds after its creation (CodeNotFound if unknown or revoked;
	// CodeConflict if expired; ExtendBeyondMax past the maximum). The
	// refusal is checked in the write itself: an extension that succeeds
	// costs one statement.
	ExtendSession(ctx context.Context, appID, id string, expiresAt time.Time, maxTTLSeconds int) (*Session, error)
	// RevokeSession revokes a session (CodeNotFound if unknown or revoked).
	RevokeSession(ctx context.Context, appID, id string) error
	// RevokeUserSessions revokes every active session of a user and
	// returns how many (CodeNotFound if the user is unknown).
	RevokeUserSessions(ctx context.Context, appID, userID string) (int, error)
	// RotateSessionTokens replaces the token and refresh token of the
	// session whose current refresh token hashes to oldRefresh, and renews
	// its expiry within its refresh lifetime. A refresh hash that was
	// already rotated away revokes its session: ReusedSessionID names it,
	// Revoked tells whether this call ended it (it may have ended before),
	// and the error is CodeInvalidToken, as for any unusable refresh token.
	// arrived is when the refresh arrived: a hash whose rotation had not
	// committed by then was rotated by a concurrent refresh, not reused,
	// and is refused without revoking anything. A refresh that
	// brings an expired session back applies limit as a creation does:
	// the oldest active sessions make room (Evicted), or it fails with
	// CodeSessionLimitReached and changes nothing.
	RotateSessionTokens(ctx context.Context, appID string, oldRefresh, tokenHash, refreshHash []byte, arrived time.Time, limit SessionLimit) (RotatedSession, error)
	// PurgeSessions deletes up to batch sessions that could no longer be
	// used before the given instant, and returns how many.
	PurgeSessions(ctx context.Context, before time.Time, batch int) (int, error)

	// Meta reads a deployment-wide value ("" and false when unset).
	Meta(ctx context.Context, key string) (string, bool, error)
	// SetMetaIfAbsent stores value under key unless one is there, and
	// returns the stored value.
	SetMetaIfAbsent(ctx context.Context, key, value string) (string, error)

	// ---- Integrations and connections (docs/openapi.json) ----

	// PutIntegration creates or replaces the integration (AppID, Slug)
	// and reports whether it was created. CodeValidation when an account
	// id is unknown; CodeQuotaExceeded when the app already has
	// MaxIntegrationsPerApp integrations. A replacement that sends
	// credentials to a destination the stored definition did not
	// (Integration.NewDestinations) is CodeConflict while connections to
	// it are not revoked, unless force, which erases them in the same
	// transaction.
	PutIntegration(ctx context.Context, in *Integration, force bool) (created bool, err error)
	// FindIntegration returns an integration (CodeNotFound).
	FindIntegration(ctx context.Context, appID, slug string) (*Integration, error)
	// FindIntegrations returns those of the integrations named by slugs
	// that exist, in no particular order, in one query; at most 64 slugs.
	FindIntegrations(ctx context.Context, appID string, slugs []string) ([]Integration, error)
	// ListIntegrations returns integrations oldest first (by creation
	// time, then slug).
	ListIntegrations(ctx context.Context, appID string, q ListQuery) ([]Integration, error)
	// DeleteIntegration deletes an integration with its connections
	// (CodeNotFound). Unless force, CodeConflict while any of them is not
	// revoked.
	DeleteIntegration(ctx context.Context, appID, slug string, force bool) error

	// PutConnection stores c for (c.AppID, c.UserID, c.Integration): a new
	// connection with id c.ID, or the existing one, whose id it keeps.
	// seal is called with the id the row ends up with and returns the
	// sealed credentials. It fills c's id and timestamps and reports
	// whether the connection was created. CodeNotFound when the user or
	// integration is unknown. guard, when not nil, is checked in the same
	// transaction, and its refusal leaves everything as it is.
	PutConnection(ctx context.Context, c *Connection, seal func(id string) (string, error), guard *ConnectGuard) (created bool, err error)
	// FindConnectionByID returns a connection (CodeNotFound).
	FindConnectionByID(ctx context.Context, appID, id string) (*Connection, error)
	// FindConnection returns a user's connection to an integration
	// (CodeNotFound).
	FindConnection(ctx context.Context, appID, userID, integration string) (*Connection, error)
	// ListConnections returns connections oldest first; f.Status is
	// matched against the status shown at now.
	ListConnections(ctx context.Context, appID string, f ConnectionFilter, now time.Time, q ListQuery) ([]Connection, error)
	// RevokeConnection erases a connection's credentials and sets it
	// revoked; a revoked one is returned unchanged. A non-empty userID
	// must own it. CodeNotFound.
	RevokeConnection(ctx context.Context, appID, id, userID string) (*Connection, error)

	// ---- Sealed values, for key rotation and the start-up key check ----

	// ListSealed returns up to limit stored values of kind not sealed with
	// key notKeyID, in a fixed order, after the value after (nil: from the
	// start). Deployment-wide, like PurgeSessions.
	ListSealed(ctx context.Context, kind SealedKind, notKeyID string, after *SealedValue, limit int) ([]SealedValue, error)
	// ReplaceSealed applies the swaps in one transaction, each only where
	// the row still holds the old value, and returns how many it applied.
	ReplaceSealed(ctx context.Context, swaps []SealedSwap) (int, error)
	// SealedKeyIDs returns every key id that some stored value is sealed
	// with (the key-check canary aside).
	SealedKeyIDs(ctx context.Context) ([]string, error)
	// CompareAndSwapMeta replaces the value of key by value if it is old,
	// and reports whether it did.
	CompareAndSwapMeta(ctx context.Context, key, old, value string) (bool, error)
}

// Sealer encrypts small secrets with associated data that binds them to
// their row.
type Sealer interface {
	Seal(plaintext []byte, aad string) (string, error)
	Open(ciphertext string, aad string) ([]byte, error)
}

// Clock tells the time; tests inject their own.
type Clock func() time.Time
