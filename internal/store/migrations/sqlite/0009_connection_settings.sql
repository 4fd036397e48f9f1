-- A connection's settings (the values of its integration's settings_fields,
-- not secret: a JSON object in clear) and the account label its verify
-- request found ("Connected as …"). OAuth states keep the settings the user
-- entered before authorizing, for the connection made at the callback.
ALTER TABLE connections ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE connections ADD COLUMN account_label TEXT;
ALTER TABLE oauth_states ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
