-- Foundation: apps, API keys, users, accounts. Timestamps are microseconds
-- since the Unix epoch (UTC) in both dialects, so keyset cursors compare alike.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    settings       TEXT NOT NULL,
    webhook_secret TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    app_id     TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    hash       BYTEA NOT NULL UNIQUE,
    hint       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_app ON api_keys(app_id, created_at, id);

CREATE TABLE users (
    id          TEXT COLLATE "C" PRIMARY KEY,
    app_id      TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    external_id TEXT,
    email       TEXT,
    name        TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_external_id ON users(app_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX users_email_key ON users(app_id, email) WHERE external_id IS NULL;
CREATE INDEX users_email ON users(app_id, email);
CREATE INDEX users_page ON users(app_id, created_at, id);

CREATE TABLE accounts (
    app_id     TEXT COLLATE "C" NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, id)
);
CREATE INDEX accounts_page ON accounts(app_id, created_at, id);

CREATE TABLE account_members (
    app_id     TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (app_id, account_id, user_id),
    FOREIGN KEY (app_id, account_id) REFERENCES accounts(app_id, id) ON DELETE CASCADE
);
CREATE INDEX account_members_user ON account_members(user_id);
