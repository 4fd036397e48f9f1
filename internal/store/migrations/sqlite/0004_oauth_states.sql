-- The state of OAuth2 authorizations begun on the hosted page: single use,
-- short-lived, bound to the page's session. The PKCE verifier is sealed.
CREATE TABLE oauth_states (
    hash        BLOB PRIMARY KEY,
    app_id      TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    integration TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX oauth_states_session ON oauth_states(session_id);
