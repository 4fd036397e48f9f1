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
	// RevokeAPIKey revokes a key (CodeNotFound, also when already revoked).
	RevokeAPIKey(ctx context.Context, keyID string) error
	// FindAPIKeyByHash returns the key with this hash, revoked or not, and
	// its app (CodeNotFound).
	FindAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, *App, error)

	// FindOrCreateUser finds the user keyed by in (external id, else email)
	// or creates it with id newID. A found user only gains in.AccountIDs.
	// CodeValidation when an account id is unknown; CodeQuotaExceeded when
	// the app's max_users is reached.
	FindOrCreateUser(ctx context.Context, appID, newID string, in UserInput) (user *User, created bool, err error)
	// FindUserByID returns a user (CodeNotFound).
	FindUserByID(ctx context.Context, appID, id string) (*User, error)
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

	// Meta reads a deployment-wide value ("" and false when unset).
	Meta(ctx context.Context, key string) (string, bool, error)
	// SetMetaIfAbsent stores value under key unless one is there, and
	// returns the stored value.
	SetMetaIfAbsent(ctx context.Context, key, value string) (string, error)
}

// Sealer encrypts small secrets with associated data that binds them to
// their row.
type Sealer interface {
	Seal(plaintext []byte, aad string) (string, error)
	Open(ciphertext string, aad string) ([]byte, error)
}

// Clock tells the time; tests inject their own.
type Clock func() time.Time
