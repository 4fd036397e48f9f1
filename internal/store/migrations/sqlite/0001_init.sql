-- Foundation: apps, API keys, users, accounts. Timestamps are microseconds
-- since the Unix epoch (UTC) in both dialects, so keyset cursors compare alike.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    settings       TEXT NOT NULL,
    webhook_secret TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    hash       BLOB NOT NULL UNIQUE,
    hint       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_app ON api_keys(app_id, created_at, id);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    external_id TEXT,
    email       TEXT,
    name        TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_external_id ON users(app_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX users_email_key ON users(app_id, email) WHERE external_id IS NULL;
CREATE INDEX users_email ON users(app_id, email);
CREATE INDEX users_page ON users(app_id, created_at, id);

CREATE TABLE accounts (
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX accounts_page ON accounts(app_id, created_at, id);

CREATE TABLE account_members (
    app_id     TEXT NOT NULL,
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, account_id, user_id),
    FOREIGN KEY (app_id, account_id) REFERENCES accounts(app_id, id) ON DELETE CASCADE
);
CREATE INDEX account_members_user ON account_members(user_id);
