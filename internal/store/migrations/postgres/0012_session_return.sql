-- The return link a caller names when it asks for a configuration URL
-- (Superface's x-superface-app-name and x-superface-app-url): the hosted
-- page shows "Back to <name>" when the URL is one of the app's
-- allowed_redirect_uris (docs/hosted-page.md).
ALTER TABLE sessions ADD COLUMN return_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN return_url TEXT NOT NULL DEFAULT '';
