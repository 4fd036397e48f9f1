/**
 * The wire types of Portico's native API, generated from the OpenAPI
 * document the server serves by scripts/generate.mjs (npm run generate).
 * Do not edit: a test fails when this file differs from what the
 * generator makes of the served document.
 */

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the store is reachable */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description Requests by route pattern, method and status, request durations by route pattern, domain events (sessions created and revoked…), and the Go runtime and process, in the Prometheus text exposition format.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document
         * @description The OpenAPI 3.1 description of the native API. It changes only with the server's version; it carries an `ETag` and answers `If-None-Match` with 304.
         */
        get: operations["getOpenAPI"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get the calling app */
        get: operations["getApp"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Update the calling app
         * @description Changes the name and the settings it names; others stay as they are. The settings are validated together (for example `session_ttl_seconds` may not exceed `max_session_ttl_seconds`). Setting a new `webhook_url` returns a fresh `webhook_secret`, once, with `Cache-Control: no-store`; a null `webhook_url` removes the webhook.
         */
        patch: operations["updateApp"];
        trace?: never;
    };
    "/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Users oldest first. Each filter, when present, must match exactly (`email` is compared trimmed and lower-cased).
         */
        get: operations["listUsers"];
        put?: never;
        /**
         * Find or create a user
         * @description The user is keyed by `external_id` when given, else by `email` (trimmed and lower-cased). A user that exists is returned (200) without changing its name, email or metadata; `account_ids` are added to its memberships. Otherwise it is created (201). A user keyed by email is not created while a user with an external id has that email: that would make a second person of one. The answer is 409 `conflict` naming that user (`details.user_id`, `details.field` `email`); send its `external_id` to mean it.
         */
        post: operations["createUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        /** Get a user */
        get: operations["getUser"];
        put?: never;
        post?: never;
        /**
         * Erase a user
         * @description Erases the user with its sessions, connections and stored credentials.
         */
        delete: operations["deleteUser"];
        options?: never;
        head?: never;
        /**
         * Update a user
         * @description Changes the fields it names. `account_ids`, when given, replaces the user's memberships. Taking an `external_id` or `email` key another user holds is a 409 `conflict`.
         */
        patch: operations["updateUser"];
        trace?: never;
    };
    "/v1/users/{id}/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Sign a user out everywhere
         * @description Revokes every active session of the user and says how many.
         */
        delete: operations["revokeUserSessions"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List accounts
         * @description Accounts oldest first.
         */
        get: operations["listAccounts"];
        put?: never;
        /**
         * Create an account
         * @description The app may choose the id; without one an `acc_…` id is generated. An id already taken is a 409 `conflict`.
         */
        post: operations["createAccount"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/accounts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The account's id. An account of another app is not found.
                 * @example acme-corp
                 */
                id: components["parameters"]["AccountID"];
            };
            cookie?: never;
        };
        /** Get an account */
        get: operations["getAccount"];
        put?: never;
        post?: never;
        /**
         * Delete an account
         * @description Deletes the account and its memberships; the users stay.
         */
        delete: operations["deleteAccount"];
        options?: never;
        head?: never;
        /** Rename an account */
        patch: operations["updateAccount"];
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List active sessions
         * @description Sessions neither expired nor revoked, oldest first (by creation time, then id).
         */
        get: operations["listSessions"];
        put?: never;
        /**
         * Create a session for a user
         * @description Finds or creates the user (as `POST /v1/users` does) and issues a session: its token (and refresh token when `refreshable`), shown only here, and a single-use configuration URL. `ttl_seconds` defaults to the app's `session_ttl_seconds` and may not exceed its `max_session_ttl_seconds`: any larger value, however large, is a 422 `validation_failed` whose `details.max_ttl_seconds` gives the maximum. `redirect_uri` must equal one of the app's `allowed_redirect_uris` (422, with the allowed ones in `details.allowed_redirect_uris`: they are the app's own settings). When the user already has `max_sessions_per_user` active sessions, the `evict_oldest` policy revokes the oldest and `reject` answers 409 `session_limit_reached`. A user named by `email` alone that a user with an external id holds is a 409 `conflict` as on `POST /v1/users` (`details.field` `user.email`).
         */
        post: operations["createSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        /**
         * Get a session
         * @description The session without its tokens. Expired sessions are shown until purged; revoked ones are not found.
         */
        get: operations["getSession"];
        put?: never;
        post?: never;
        /**
         * Revoke a session
         * @description Its token, refresh token and configuration URLs stop working at once, on every node. An unknown or already revoked session is a 404.
         */
        delete: operations["revokeSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/extend": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Extend a session
         * @description Sets `expires_at` to now + `ttl_seconds`. A session lives at most the app's `max_session_ttl_seconds` from its creation: a longer extension, however large its `ttl_seconds`, is a 422 whose `details.max_ttl_seconds` says what is left, and the session keeps its `expires_at`. An expired session cannot be extended (409 `conflict`); a revoked one is not found.
         */
        post: operations["extendSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}/configuration_url": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue a fresh configuration URL
         * @description A new single-use configuration URL for an active session, valid for the app's `configuration_url_ttl_seconds` but never past the session's end. Earlier URLs stay valid until used or expired. An expired session is a 409 `conflict`; a revoked one is not found.
         */
        post: operations["createConfigurationURL"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/verifications/{flow}/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Confirm who opened a link
         * @description With `user_verification_url` set, a browser opening one of the app's links is sent there with `?flow=<id>`. The app names the user logged in to it in that browser; when it is the link's user, the answer's `return_to` is where to send the browser (once), and the page opens there. The user is named once, by `id`, `external_id` or `email` (matched trimmed and lower-cased); two names, or a value no user can have, is 422 and leaves the flow open. Another user ends the flow (403, `session.verification_failed`); a flow is settled once and lives 10 minutes (410 after). A sign-in of the app's OAuth authorization server is a flow too: any of the app's users may be named (an `external_id` or `email` without a user creates one), and `return_to` leads to the consent page. See docs/identity.md.
         */
        post: operations["confirmVerification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tokens/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate a session's tokens
         * @description Exchanges a refresh token for a new token and a new refresh token, and renews the session's expiry within its refresh lifetime. The old token and refresh token stop working. Presenting a refresh token whose rotation was committed before the request arrived revokes its session (reuse detection). Of concurrent refreshes with one token exactly one succeeds; the others, which arrived before its rotation was committed, get 401 `invalid_token` and leave the session to the winner, as does any unknown, expired or revoked refresh token. A refresh that brings an expired session back counts it against `max_sessions_per_user` as a creation does: at the limit, `evict_oldest` revokes the user's oldest active session and `reject` answers 409 `session_limit_reached`, changing nothing.
         */
        post: operations["refreshTokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/catalog": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the built-in catalogue
         * @description The templates `"template"` on PUT /v1/integrations/{slug} copies, in slug order: each provider's OAuth2 endpoints and scopes or credential fields with a guide, base URL (over settings fields for per-customer hosts), verify request and actions, with the documentation pages the facts come from (docs/catalog-data.md). The same data as docs/integrations.md.
         */
        get: operations["listCatalog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/integrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List integrations
         * @description The app's integrations, oldest first (by creation time, then slug). OAuth2 client secrets show only as `********`.
         */
        get: operations["listIntegrations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/integrations/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        /**
         * Get an integration
         * @description The integration's definition; its OAuth2 client secret only as `********`. A malformed slug is not found, like an unknown one.
         */
        get: operations["getIntegration"];
        /**
         * Create or replace an integration
         * @description Creates the integration `slug` (201) or replaces its whole definition (200). With `template`, a definition of the built-in catalogue is the base and the fields given replace its own (inside `auth.oauth2` one by one; an `auth.type` other than the template's drops the template's auth), so that `{"template":"github","auth":{"oauth2":{"client_id":"…","client_secret":"…"}}}` is enough. Without a template, `name`, `base_url` and `auth.type` are required.
         *
         *     `base_url` and the OAuth2 URLs must be https to a public host: plain http to a loopback address, and private, loopback or link-local hosts, are accepted only when the server runs with `--allow-private-upstreams`. Every request's path starts with `base_url`'s path, which keeps the rules of an action's path: no `.` or `..` segment and no empty one (`//`), also %-encoded. `auth.oauth2.client_secret` is write-only: it is stored encrypted and answered as `********` (null when none is stored); omitting it or sending `********` keeps the stored one, `""` removes it. The slug is 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit (otherwise 422 with `details.field` `slug`). Every 422 names the offending field in `details.field` (`base_url`, `auth.inject.format`, `actions[0].path`…). An app holds at most 500 integrations.
         *
         *     **Where credentials go.** Users give their credentials for the hosts the integration had when they connected: the origin (scheme, host, port) of `base_url`, and of `auth.oauth2.token_url`. A replacement that would send them to another origin (a new host in either, or OAuth2 added) is refused with 409 `conflict` while users have connections to the integration that are not revoked (`details.connections`, and `details.new_destinations`, the origins added), unless `force=true`, which erases those connections and their credentials in the same step: their users connect again. A path changed on the same host needs nothing. A kept client secret (omitted, or `********`) does not follow `token_url` to another origin: send it again (422 on `auth.oauth2.client_secret`).
         */
        put: operations["putIntegration"];
        post?: never;
        /**
         * Delete an integration
         * @description Deletes the integration. While users have connections to it that are not revoked it answers 409 `conflict` with `details.connections`, unless `force=true`, which erases those connections and their credentials too. Revoked connections go with the integration.
         */
        delete: operations["deleteIntegration"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List connections
         * @description The app's connections, oldest first (by creation time, then id), revoked ones included. Each filter, when present, must match exactly; `status` compares the status shown, so a connection whose access token has passed `expires_at` without a refresh token is `expired`. Credential values are never shown, only the names of the fields stored.
         */
        get: operations["listConnections"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The connection's id (`con_…`). A connection of another app is not found.
                 * @example con_iua6bdhjr4wpacchin7ll677hm
                 */
                id: components["parameters"]["ConnectionID"];
            };
            cookie?: never;
        };
        /**
         * Get a connection
         * @description The connection with its status as of now and the names of its credential fields, never their values.
         */
        get: operations["getConnection"];
        put?: never;
        post?: never;
        /**
         * Revoke a connection
         * @description Erases the connection's credentials and sets its status to `revoked`, and answers 204 like every other `DELETE`. The connection itself stays, so that the app sees what happened (`GET /v1/connections/{id}` shows it revoked); revoking a revoked connection answers the same. Importing credentials again reconnects it under the same id. (Before this version it answered 200 with the revoked connection.)
         */
        delete: operations["revokeConnection"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{id}/connections/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        get?: never;
        /**
         * Import a user's credentials
         * @description Stores credentials the app already holds for the user (server-side import) and sets the connection `connected`: a new connection (201) or the user's existing one to the integration, whose credentials are replaced and whose id stays (200). The credentials are checked against the integration's fields: every key must be a declared field, every required field present; an empty or blank (white space only) value counts as absent: a required field sent blank is a 422 like a missing one, an optional one is left out. For `oauth2` they are `access_token` (required) and optionally `refresh_token`, `expires_at` (RFC 3339), `token_type` and `scope`, beside any declared fields. Values are at most 8 KiB of text without control characters. A check that fails is a 422 whose `details.field` is `credentials.<key>`. The values are stored encrypted and never answered. An unknown or malformed slug, like an unknown user, is not found; an integration restricted to accounts the user is not in is a 403.
         */
        put: operations["importConnection"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Validate a session token
         * @description The session validation call, made with the end user's session token (not an API key): the session and its user, or 401 `invalid_token` when the token is unknown, expired or revoked.
         */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the user's own connections
         * @description Made with the end user's session token: the user's connections, oldest first, to the integrations the session may show (its `settings.integrations` and `settings.categories`, when not empty, and the integrations' account restrictions). Credential values are never shown.
         */
        get: operations["listMyConnections"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The connection's id (`con_…`). A connection of another app is not found.
                 * @example con_iua6bdhjr4wpacchin7ll677hm
                 */
                id: components["parameters"]["ConnectionID"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke one of the user's connections
         * @description Made with the end user's session token: revokes one of the user's own connections as `DELETE /v1/connections/{id}` does, and answers it. Another user's connection, or one to an integration the session may not show, is not found. A session whose `allow_actions` name neither `disconnect` nor `delete` gets 403 `forbidden`.
         */
        delete: operations["revokeMyConnection"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the activity log
         * @description What was done with the app's users' integrations, newest first (by time, then id): a row for every perform on every surface (native, Superface, MCP; dry runs included) whatever its outcome, every connection created, updated, revoked or expired and every session created or revoked. A row names the caller (`client`, `api_key_id` or `session_id`, `request_id`), the integration, the action, the upstream method and path template (never its query), the upstream status, the outcome and the duration; never a query value, a body, a header or a credential. Rows are written in batches within a second of the call; a list shows the rows of calls this node has answered. Rows older than the app's `activity_retention_days` are purged (docs/activity-and-approvals.md).
         */
        get: operations["listActivity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the user's own activity
         * @description Made with the end user's session token: the activity log rows of the session's user, newest first, with the filters of `GET /v1/activity`.
         */
        get: operations["listMyActivity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/perform": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Call an action or the integration's API for a user
         * @description Builds the upstream request from the integration's base URL and either a declared action with its input or a raw `request`, injects the user's decrypted credential (`api_key` and `oauth2` by the integration's `inject` rule, `basic` as `Authorization: Basic`, nothing for `none`), sends it and answers what the upstream answered, whatever its status. Connections go only to public addresses, checked after DNS resolution at connect time (unless the server runs with `--allow-private-upstreams`); redirects are followed only within the same scheme and host (at most 5); the response body is bounded to 10 MiB and the call to 30 seconds. Every answer carries `Cache-Control: no-store`.
         */
        post: operations["perform"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List actions as function definitions
         * @description The actions of the app's integrations as OpenAI-style function definitions, oldest integration first. With `user_id`, only those of integrations the user may use (an integration restricted to accounts admits only their members), each marked with Portico's extension field `connected` beside `type` and `function`: `true` when the user can use it now (the integration takes no credentials, or the user's connection to it is connected), `false` when a perform would answer 409 `connection_required` until the user connects it. Without `user_id` there is no `connected`. Strip `connected` before handing the definitions to a model API that refuses unknown fields. Not paginated: an app has at most 500 integrations of at most 200 actions.
         */
        get: operations["listTools"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Format: date-time
         * @description RFC 3339, UTC, whole seconds.
         * @example 2024-10-11T09:02:56Z
         */
        Timestamp: string;
        /** @description A free JSON object of at most 16 KiB (compacted). */
        JSONObject: Record<string, unknown>;
        /** @enum {string} */
        ErrorCode: "invalid_request" | "unauthenticated" | "invalid_api_key" | "invalid_token" | "quota_exceeded" | "forbidden" | "not_found" | "method_not_allowed" | "conflict" | "gone" | "session_limit_reached" | "connection_required" | "approval_required" | "payload_too_large" | "unsupported_media_type" | "validation_failed" | "rate_limited" | "internal" | "unavailable" | "upstream_unreachable" | "upstream_timeout";
        Error: {
            code: components["schemas"]["ErrorCode"];
            /** @description For people; may change. */
            message: string;
            /** @description Machine-readable facts: `field` names the offending input field (a path such as `user.email` or `settings.integrations`, or a path or query parameter such as `id`); some codes add more (`max_users`, `max_sessions_per_user`, `max_ttl_seconds`, `max_integrations`, `connections`, `integration`; `suggestion` for an unknown field; `value` and `available` for an unknown slug or action; `allowed_redirect_uris` for a refused redirect URI; `user_id` for an email another user holds). */
            details?: Record<string, unknown>;
            /** @description The request's `X-Request-Id`. */
            request_id: string;
        };
        ErrorBody: {
            error: components["schemas"]["Error"];
        };
        /** @description The presentation of the hosted page. Absent fields use Portico's defaults. */
        Theme: {
            /** @description Shown as the page's title; at most 100 bytes. */
            name?: string;
            /**
             * Format: uri
             * @description Absolute http(s) URL, at most 2048 bytes.
             */
            logo_url?: string;
            /**
             * Format: uri
             * @description Absolute http(s) URL, at most 2048 bytes.
             */
            favicon_url?: string;
            primary_color?: components["schemas"]["Color"];
            sidebar_background_color?: components["schemas"]["Color"];
            sidebar_text_color?: components["schemas"]["Color"];
            /**
             * Format: uri
             * @description Absolute http(s) URL, at most 2048 bytes.
             */
            privacy_url?: string;
            /**
             * Format: uri
             * @description Absolute http(s) URL, at most 2048 bytes.
             */
            terms_url?: string;
        };
        /** @example #286efa */
        Color: string;
        AppSettings: {
            /** @description Lifetime of a new session when the request names none; at most max_session_ttl_seconds. Default 3600. */
            session_ttl_seconds: number;
            /** @description The longest a session may live, measured from its creation (extensions and refreshes included). Default 604800 (a week). */
            max_session_ttl_seconds: number;
            /** @description Lifetime of a configuration URL. Default 900. */
            configuration_url_ttl_seconds: number;
            /** @description Active sessions a user may hold. Default 10. */
            max_sessions_per_user: number;
            /**
             * @description What a session beyond max_sessions_per_user does: revoke the oldest (default) or be refused with 409 session_limit_reached.
             * @enum {string}
             */
            session_limit_policy: "evict_oldest" | "reject";
            /** @description The redirect_uri values a session may use, compared exactly. */
            allowed_redirect_uris: string[];
            /** @description Origins (scheme://host[:port]) allowed to embed the hosted page in a frame (CSP frame-ancestors) and to open it with the widget, /connect/portico.js, which then receives the page's connect, disconnect and close events (docs/widget.md). Empty: the page may not be framed. */
            allowed_frame_origins: string[];
            theme: components["schemas"]["Theme"];
            /**
             * Format: uri
             * @description Where events are posted; null when none.
             */
            webhook_url: string | null;
            /** @description The most users the app may hold; null for no limit. */
            max_users: number | null;
            /** @description Whether POST /v1/connect/token (the Human API Connect surface) may issue session tokens. Default true. */
            connect_session_tokens: boolean;
            /** @description Whether POST /v1/connect/token (the Human API Connect surface) may issue id tokens. Default true. */
            connect_id_tokens: boolean;
            /** @description The longest text an MCP tool result carries; a longer one is cut, with a marker saying so. Default 102400. */
            mcp_max_result_bytes: number;
            /** @description Days the activity log (GET /v1/activity) keeps a row; older rows are purged in batches. Default 30. */
            activity_retention_days: number;
            /** @description Performs one user may make per minute, every surface together (native, Superface, MCP), counted on each node; beyond it 429 `rate_limited` with Retry-After. Default 120. */
            perform_rate_per_user: number;
            /** @description Performs one user may make at once before perform_rate_per_user paces them. Default 20. */
            perform_burst_per_user: number;
            /**
             * @description The approval of DELETE actions that declare none. Default `auto`.
             * @enum {string}
             */
            approval_default_for_delete: "auto" | "confirm";
            /**
             * Format: uri
             * @description Where the hosted page sends a browser that opens a configuration, approval or MCP link, with `?flow=<id>`, before it shows anything: the app confirms its logged-in user with POST /v1/verifications/{flow}/confirm (docs/identity.md). null (the default): links open without verification.
             */
            user_verification_url: string | null;
        };
        App: {
            /** @description `app_…`; also the OAuth-style client id. */
            id: string;
            name: string;
            created_at: components["schemas"]["Timestamp"];
            settings: components["schemas"]["AppSettings"];
            /** @description `whsec_…`: the webhook signing secret, present only in the response to the PATCH that set a new webhook_url. */
            webhook_secret?: string;
        };
        AppUpdate: {
            /** @description 1 to 255 bytes of text. */
            name?: string;
            settings?: components["schemas"]["AppSettingsUpdate"];
        };
        /** @description The settings to change; absent ones stay as they are. `theme` and `allowed_redirect_uris` are replaced as a whole. */
        AppSettingsUpdate: {
            session_ttl_seconds?: number;
            max_session_ttl_seconds?: number;
            configuration_url_ttl_seconds?: number;
            max_sessions_per_user?: number;
            /** @enum {string} */
            session_limit_policy?: "evict_oldest" | "reject";
            allowed_redirect_uris?: string[];
            allowed_frame_origins?: string[];
            theme?: components["schemas"]["Theme"];
            /**
             * Format: uri
             * @description A new URL returns a new webhook_secret; null removes the webhook. A loopback, private or link-local host is refused unless the server runs with --allow-private-upstreams (docs/webhooks.md).
             */
            webhook_url?: string | null;
            /** @description null removes the limit. */
            max_users?: number | null;
            connect_session_tokens?: boolean;
            connect_id_tokens?: boolean;
            mcp_max_result_bytes?: number;
            activity_retention_days?: number;
            perform_rate_per_user?: number;
            perform_burst_per_user?: number;
            /** @enum {string} */
            approval_default_for_delete?: "auto" | "confirm";
            /**
             * Format: uri
             * @description An absolute http(s) URL without a fragment; null turns user verification off.
             */
            user_verification_url?: string | null;
        };
        User: {
            /** @description `usr_…` */
            id: string;
            /** @description The app's own id of the user; null when keyed by email. */
            external_id: string | null;
            /**
             * Format: email
             * @description Trimmed and lower-cased; null when unknown.
             */
            email: string | null;
            name: string;
            metadata: components["schemas"]["JSONObject"];
            /** @description The accounts the user is a member of. */
            account_ids: string[];
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
        };
        /** @description At least one of external_id and email; the user's key is external_id when given, else email. */
        UserCreate: {
            /** @description 1 to 255 bytes of UTF-8 without control characters. */
            external_id?: string;
            /**
             * Format: email
             * @description At most 254 bytes, one @, no whitespace or control characters.
             */
            email?: string;
            /** @description At most 255 bytes; used only when the user is created. */
            name?: string;
            metadata?: components["schemas"]["JSONObject"];
            /** @description Existing accounts to add the user to (unknown ids: 422). */
            account_ids?: components["schemas"]["AccountIDValue"][];
        } & ({
            /** @description 1 to 255 bytes of UTF-8 without control characters. */
            external_id: string;
        } | {
            /**
             * Format: email
             * @description At most 254 bytes, one @, no whitespace or control characters.
             */
            email: string;
        });
        /** @description The fields to change; absent ones stay as they are. */
        UserUpdate: {
            /** @description 1 to 255 bytes of UTF-8 without control characters. */
            external_id?: string;
            /** Format: email */
            email?: string;
            name?: string;
            metadata?: components["schemas"]["JSONObject"];
            /** @description Replaces the user's memberships. */
            account_ids?: components["schemas"]["AccountIDValue"][];
        };
        UserList: {
            data: components["schemas"]["User"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        AccountIDValue: string;
        Account: {
            /** @description Chosen by the app, or `acc_…`. */
            id: string;
            name: string;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
        };
        AccountCreate: {
            /** @description 1 to 128 of A-Z, a-z, 0-9, _ and -; generated when absent. */
            id?: components["schemas"]["AccountIDValue"];
            /** @description 1 to 255 bytes of text. */
            name: string;
        };
        AccountUpdate: {
            /** @description 1 to 255 bytes of text. */
            name: string;
        };
        AccountList: {
            data: components["schemas"]["Account"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        /** @description What the hosted page of the session offers. Empty integrations and categories mean all. */
        SessionSettings: {
            /** @description Integration slugs to offer; empty or absent: all. */
            integrations?: components["schemas"]["Slug"][];
            /** @description Integration categories to offer; empty or absent: all. */
            categories?: components["schemas"]["Slug"][];
            /** @description What the user may do with a connection; default disconnect and reauthorize. */
            allow_actions?: ("disconnect" | "reauthorize" | "delete" | "disable")[];
            isolation_mode?: boolean;
            sandbox_mode?: boolean;
            /** @description Return to redirect_uri as soon as a connection is made. */
            auto_redirect?: boolean;
            tools?: components["schemas"]["ToolSettings"];
            /** @description Show the sidebar of categories on the hosted page (docs/hosted-page.md); default true. */
            show_sidebar?: boolean;
            /** @description Show the user what was done with each connection; default true. */
            show_activity?: boolean;
            /** @description Hide the guides that say where to find a credential; default false. */
            hide_guides?: boolean;
            /** @description Hide the editable settings of a connection (its settings_fields) on the integration's page; the connect form still asks for the required ones. Default false. */
            hide_resource_settings?: boolean;
            /** @description Offer a "Don't see your tool?" form whose answers reach the app as integration.suggested webhooks; default false. */
            show_suggestions?: boolean;
        };
        /** @description Narrow the session's MCP tools (docs/mcp.md): a tool is offered when `allow` is empty or matches it, `deny` does not, and, with `read_only`, its hints say read only. */
        ToolSettings: {
            /** @description Tool names, or prefixes ending in `*` such as `github_*`. */
            allow?: string[];
            deny?: string[];
            /** @description Offer and run only read-only tools. */
            read_only?: boolean;
        };
        /** @description The session's settings with defaults filled in: every field is present. */
        AppliedSessionSettings: components["schemas"]["SessionSettings"] & {
            /** @description Integration slugs to offer; empty or absent: all. */
            integrations: components["schemas"]["Slug"][];
            /** @description Integration categories to offer; empty or absent: all. */
            categories: components["schemas"]["Slug"][];
            /** @description What the user may do with a connection; default disconnect and reauthorize. */
            allow_actions: ("disconnect" | "reauthorize" | "delete" | "disable")[];
            isolation_mode: boolean;
            sandbox_mode: boolean;
            /** @description Return to redirect_uri as soon as a connection is made. */
            auto_redirect: boolean;
            tools: components["schemas"]["ToolSettings"];
            /** @description Show the sidebar of categories on the hosted page (docs/hosted-page.md); default true. */
            show_sidebar: boolean;
            /** @description Show the user what was done with each connection; default true. */
            show_activity: boolean;
            /** @description Hide the guides that say where to find a credential; default false. */
            hide_guides: boolean;
            /** @description Hide the editable settings of a connection (its settings_fields) on the integration's page; the connect form still asks for the required ones. Default false. */
            hide_resource_settings: boolean;
            /** @description Offer a "Don't see your tool?" form whose answers reach the app as integration.suggested webhooks; default false. */
            show_suggestions: boolean;
        };
        Slug: string;
        SessionCreate: {
            user: components["schemas"]["UserCreate"];
            /** @description Lifetime; default the app's session_ttl_seconds, at most its max_session_ttl_seconds. */
            ttl_seconds?: number;
            /**
             * @description Issue a refresh token too.
             * @default false
             */
            refreshable?: boolean;
            /**
             * Format: uri
             * @description Where the hosted page sends the user back; exactly one of the app's allowed_redirect_uris.
             */
            redirect_uri?: string;
            settings?: components["schemas"]["SessionSettings"];
            theme?: components["schemas"]["Theme"];
            custom_settings?: components["schemas"]["JSONObject"];
        };
        /** @description A session as the API shows it: never its tokens. */
        Session: {
            /** @description `ses_…` */
            id: string;
            /** @description `usr_…` */
            user_id: string;
            /** @description The user's external_id; null when the user is keyed by email. */
            external_user_id: string | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            expires_at: components["schemas"]["Timestamp"];
            refreshable: boolean;
            /** Format: uri */
            redirect_uri: string | null;
            settings: components["schemas"]["AppliedSessionSettings"];
            theme: components["schemas"]["Theme"];
            custom_settings: components["schemas"]["JSONObject"];
        };
        SessionCreated: {
            session: components["schemas"]["Session"];
            /** @description `pst_…`: the session token, shown only here. */
            token: string;
            /** @description `prt_…`: present only when the session is refreshable; shown only here. */
            refresh_token?: string;
            /**
             * Format: uri
             * @description Single-use link to the hosted page.
             */
            configuration_url: string;
            configuration_url_expires_at: components["schemas"]["Timestamp"];
            /** @description An English sentence telling an LLM agent what to tell the user. */
            assistant_hint: string;
            /**
             * Format: uri
             * @description The MCP endpoint an agent reaches the user's tools at, with `token` as its bearer token (docs/mcp.md).
             */
            mcp_url: string;
        };
        ConfigurationURL: {
            session: components["schemas"]["Session"];
            /**
             * Format: uri
             * @description Single-use link to the hosted page.
             */
            configuration_url: string;
            configuration_url_expires_at: components["schemas"]["Timestamp"];
            /** @description An English sentence telling an LLM agent what to tell the user. */
            assistant_hint: string;
        };
        SessionList: {
            data: components["schemas"]["Session"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        SessionExtend: {
            /** @description New lifetime from now; the session may not outlive creation + max_session_ttl_seconds. */
            ttl_seconds: number;
        };
        VerificationConfirm: {
            /** @description The user logged in to the app in the browser that brought the flow. */
            user: components["schemas"]["PerformUser"];
        };
        VerificationConfirmed: {
            /**
             * Format: uri
             * @description Where to send that browser now: the hosted page, with a one-time code. Valid once, until the flow expires.
             */
            return_to: string;
        };
        TokenRefresh: {
            /** @description `prt_…` */
            refresh_token: string;
        };
        TokenRefreshed: {
            /** @description `pst_…`: the new session token. */
            token: string;
            /** @description `prt_…`: the new refresh token. */
            refresh_token: string;
            expires_at: components["schemas"]["Timestamp"];
        };
        Revoked: {
            /** @description How many active sessions were revoked. */
            revoked: number;
        };
        /**
         * @description How the user's credentials are collected and sent: `api_key` (declared fields, injected into a header or query parameter), `basic` (fields username and password, sent as Authorization: Basic), `oauth2` (an OAuth2 authorization with the app's client) or `none`.
         * @enum {string}
         */
        AuthType: "api_key" | "basic" | "oauth2" | "none";
        /** @description A credential value the user provides. */
        Field: {
            /** @description The key of the value in the credentials and in `{name}` placeholders. */
            name: string;
            /** @description What the hosted page shows; the name when none was given. */
            label: string;
            /** @description Entered in a password input; never shown again. */
            secret: boolean;
            /** @description May be left out; the others are required. */
            optional: boolean;
        };
        /** @description A credential field of an IntegrationPut. */
        FieldPut: {
            /** @description 1 to 64 of a-z, 0-9 and _, starting with a letter; unique in the integration. With `oauth2`, not one of the token keys (access_token, refresh_token, token_type, scope, expires_at). */
            name: string;
            /** @description At most 100 bytes; default the name. */
            label?: string;
            /** @default false */
            secret?: boolean;
            /** @default false */
            optional?: boolean;
        };
        /** @description Where a credential goes in upstream requests: exactly one of `header` and `query`, and the value's template, whose `{field}` placeholders name declared fields (`{access_token}` with `oauth2`). */
        Inject: {
            /** @description An HTTP header name; not one that frames the request (Host, Content-Length, Content-Type, Transfer-Encoding, Connection…) or a forwarding header. */
            header?: string;
            /** @description A query parameter name. */
            query?: string;
            /** @description At most 512 bytes without control characters, with at least one placeholder, such as `Bearer {access_token}`. */
            format: string;
        } & ({
            /** @description An HTTP header name; not one that frames the request (Host, Content-Length, Content-Type, Transfer-Encoding, Connection…) or a forwarding header. */
            header: string;
        } | {
            /** @description A query parameter name. */
            query: string;
        });
        /** @description An integration's OAuth2 client as the API shows it. */
        OAuth2: {
            /** @description An https URL; may hold `{setting}` placeholders, filled from the settings the user enters before authorizing. */
            authorize_url: string;
            /** @description An https URL; may hold `{setting}` placeholders like authorize_url. */
            token_url: string;
            client_id: string;
            /**
             * @description `********` when a secret is stored, null when none: the secret itself is never shown.
             * @enum {string|null}
             */
            client_secret: "********" | null;
            scopes: components["schemas"]["Scope"][];
            /**
             * @description Joins the scopes in the authorize request.
             * @enum {string}
             */
            scope_separator: " " | ",";
            /** @description Extra authorize parameters, e.g. `access_type=offline`. */
            authorize_params: {
                [key: string]: string;
            };
            /** @description Whether the authorization sends a PKCE S256 challenge. */
            pkce: boolean;
            /**
             * @description How the client authenticates to the token endpoint; null: detected.
             * @enum {string|null}
             */
            token_endpoint_auth_method: "client_secret_post" | "client_secret_basic" | null;
        };
        /** @description An OAuth2 scope and what it grants, in plain words. */
        Scope: {
            name: string;
            /** @description Plain words; `""` when none was given. */
            description: string;
        };
        /** @description A scope and what it grants. A plain string is accepted too, as the name of a scope without description (the form before descriptions). */
        ScopePut: {
            /** @description Without spaces, quotes, backslashes or the scope separator. */
            name: string;
            /** @description One line of plain words. */
            description?: string;
        };
        /** @description Where a user finds a credential: numbered steps and the provider's page. */
        Guide: {
            /** @description 1 to 20 steps. */
            steps: string[];
            /**
             * Format: uri
             * @description https: the page where the credential is created.
             */
            url: string;
        };
        /** @description A non-secret per-connection value (a subdomain, a region), used as `{name}` in `base_url`, `headers` and `verify.path`. */
        SettingsField: {
            /** @description Not the name of a credential field. */
            name: string;
            label: string;
            /** @description An RE2 regular expression the value must match. */
            pattern?: string;
            /** @description An example value the hosted page shows. */
            placeholder?: string;
            /** @description May be left empty; only required fields may be used in `base_url`, the OAuth2 URLs and `verify.path`. */
            optional?: boolean;
        };
        /** @description A cheap authenticated request that proves a credential at connect time (docs/catalog-data.md): 401 or 403 rejects it (422, nothing stored); a provider unreachable, or another answer, stores it with a warning. */
        Verify: {
            /** @enum {string} */
            method: "GET" | "POST";
            /** @description Relative to the base URL; may hold `{setting}` placeholders of required settings fields. */
            path: string;
            /** @description 200 when left out. */
            expected_status?: number;
            /** @description An RFC 6901 JSON pointer to the account label in the answer (`/login`), shown as "Connected as …"; `""` for none. */
            label_pointer?: string;
        };
        /** @description The OAuth2 client of an IntegrationPut. With a template, each field given replaces the template's. */
        OAuth2Put: {
            /**
             * Format: uri
             * @description https; may have a query.
             */
            authorize_url?: string;
            /**
             * Format: uri
             * @description https, without a query.
             */
            token_url?: string;
            /** @description At most 512 bytes of text. */
            client_id?: string;
            /** @description Write-only, at most 1024 bytes. Omitted or `********`: keep the stored secret (sending `********` when none is stored is a 422). `""`: remove it (a public client). */
            client_secret?: string;
            /** @description Scopes to request: objects with a plain-words description, or plain names. */
            scopes?: components["schemas"]["ScopePut"][];
            /**
             * @description `" "` (default) or `","` where the provider documents it.
             * @enum {string}
             */
            scope_separator?: " " | ",";
            /** @description At most 20 extra authorize parameters; not client_id, redirect_uri, response_type, state, scope or the PKCE ones. */
            authorize_params?: {
                [key: string]: string;
            };
            /** @description Default true; false for a provider that documents no PKCE support. */
            pkce?: boolean;
            /**
             * @description Left out: detected.
             * @enum {string}
             */
            token_endpoint_auth_method?: "client_secret_post" | "client_secret_basic";
        };
        IntegrationAuth: {
            type: components["schemas"]["AuthType"];
            /** @description What the user enters (`username` and `password` by default with `basic`); extra values kept beside the token with `oauth2`; none with `none`. */
            fields: components["schemas"]["Field"][];
            /** @description null with `basic` (an Authorization: Basic header is built) and `none`; with `oauth2` by default `Authorization: Bearer {access_token}`. */
            inject: components["schemas"]["Inject"] | null;
            /** @description The OAuth2 client; null unless `type` is `oauth2`. */
            oauth2: components["schemas"]["OAuth2"] | null;
        };
        /** @description The auth of an IntegrationPut. `api_key` needs `fields` and `inject`; `basic` takes no `inject` (its fields default to username and password); `oauth2` needs `oauth2` with authorize_url, token_url and client_id (a template provides the URLs); `none` takes no fields and no inject. */
        IntegrationAuthPut: {
            type?: components["schemas"]["AuthType"];
            fields?: components["schemas"]["FieldPut"][];
            inject?: components["schemas"]["Inject"];
            oauth2?: components["schemas"]["OAuth2Put"];
        };
        /** @description A named function of an integration: its input fills the `{name}` placeholders of `path` (URL-escaped), and the rest goes to the query string (GET, DELETE) or a JSON body. */
        Action: {
            name: string;
            description: string;
            /** @enum {string} */
            method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
            /** @description Relative to the integration's base_url. */
            path: string;
            /** @description A JSON Schema (draft 2020-12) of `type` `object`, compacted. */
            input_schema: Record<string, unknown>;
            /**
             * @description `confirm`: each call waits until the user approves that very call on the hosted page (409 `approval_required` until then; docs/activity-and-approvals.md). `auto`: calls run at once. Left out: a DELETE follows the app's `approval_default_for_delete`, any other method runs at once.
             * @enum {string}
             */
            approval?: "auto" | "confirm";
            /** @description Input properties sent as these query parameters, whatever the method (actions imported from OpenAPI). Absent when none. */
            query?: {
                [key: string]: string;
            };
            /** @description Input properties sent as these properties of the JSON body (actions imported from OpenAPI). Absent when none. */
            body?: {
                [key: string]: string;
            };
            /** @description The input property whose value is the whole JSON body (actions imported from OpenAPI). Absent when none. */
            body_input?: string;
            annotations?: components["schemas"]["ActionAnnotations"];
        };
        /** @description Override the MCP tool hints that follow the method (GET: read only; DELETE: destructive; PUT, DELETE and GET: idempotent; every action: open world). A field left out keeps the default. */
        ActionAnnotations: {
            read_only_hint?: boolean;
            destructive_hint?: boolean;
            idempotent_hint?: boolean;
            open_world_hint?: boolean;
        };
        /** @description An action of an IntegrationPut. */
        ActionPut: {
            /** @description Unique in the integration. The tool name agents see, `<slug>_<name>` with every character other than a-z, 0-9 and _ as _, must match `^[a-z][a-z0-9_]{0,47}$` and be unique in the app (docs/mcp.md). */
            name: string;
            /** @description At most 1024 bytes of text; for the agent that calls the action. */
            description?: string;
            /**
             * @description GET, POST, PUT, PATCH or DELETE, in any case; stored in upper case.
             * @example GET
             */
            method: string;
            /** @description An absolute path of at most 1024 bytes, without a query, fragment, backslash, space, `.` or `..` segment; its `{name}` placeholders must be properties of input_schema. */
            path: string;
            /** @description A JSON Schema (draft 2020-12; every keyword applies, `$ref` only within the schema) of `"type":"object"`, at most 64 KiB; default `{"type":"object","properties":{}}`. Compiled here: one that does not compile is 422 naming the place, e.g. `actions[0].input_schema.properties.repo.pattern`. */
            input_schema?: Record<string, unknown>;
            /**
             * @description `confirm`: each call waits until the user approves that very call on the hosted page (409 `approval_required` until then; docs/activity-and-approvals.md). `auto`: calls run at once. Left out: a DELETE follows the app's `approval_default_for_delete`, any other method runs at once.
             * @enum {string}
             */
            approval?: "auto" | "confirm";
            /** @description Maps input properties to the query parameters they are sent as, whatever the method. With `query`, `body` or `body_input`, input goes only where the path placeholders and these say. */
            query?: {
                [key: string]: string;
            };
            /** @description Maps input properties to the properties of the JSON body they are sent as. Not with GET, nor with `body_input`. */
            body?: {
                [key: string]: string;
            };
            /** @description The input property whose value is sent as the whole JSON body. Not with GET, nor with `body`. */
            body_input?: string;
            annotations?: components["schemas"]["ActionAnnotations"];
        };
        /** @description Operations of an OpenAPI 3.0 or 3.1 document to add as actions (docs/openapi-import.md): exactly one of `document` and `url`. Each becomes an action named after its operationId (`getPetById`: `get_pet_by_id`), or its method and path; its summary is the description; path and query parameters and the JSON body are merged into one input schema. What an action cannot express is 422 with `details.field` `openapi.operations[i]` and a message naming the operation and the reason. */
        OpenAPIImport: {
            /** @description The document: a JSON object, or a string holding its JSON or YAML text. Within the 1 MiB request body; larger documents by `url`. */
            document?: Record<string, unknown> | string;
            /**
             * Format: uri
             * @description https URL of the document, fetched through the same address guard as upstream calls; at most 10 MiB, answered 200.
             */
            url?: string;
            /** @description At least one; each an operationId or `METHOD /path` as the document writes it, e.g. `GET /pet/{petId}`. */
            operations: string[];
        };
        /** @description A third-party tool the app offers its users, as the API shows it: the OAuth2 client secret only as `********`. */
        Integration: {
            slug: components["schemas"]["Slug"];
            name: string;
            /** @description Such as `crm` or `file-storage` (what Apideck calls a unified API); null when none. */
            category: string | null;
            /** @description The URL the actions' paths are relative to, without a trailing slash; may hold `{setting}` placeholders of required settings fields, in the host or the path, filled from each connection's settings. */
            base_url: string;
            /** @description The catalogue template it was made from; null when none. */
            template: string | null;
            auth: components["schemas"]["IntegrationAuth"];
            /** @description Only members of these accounts may connect it; empty: every user. */
            account_ids: string[];
            actions: components["schemas"]["Action"][];
            /** @description One line of plain words; null when none. */
            description: string | null;
            /** Format: uri */
            logo_url: string | null;
            brand_color: string | null;
            /**
             * Format: uri
             * @description The provider documentation page the definition's facts come from.
             */
            source_url: string | null;
            guide: components["schemas"]["Guide"] | null;
            settings_fields: components["schemas"]["SettingsField"][];
            /** @description Sent with every request; values may hold `{setting}` placeholders (a header whose setting is empty is left out). */
            headers: {
                [key: string]: string;
            };
            verify: components["schemas"]["Verify"] | null;
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
        };
        /** @description A whole integration definition: a template and the fields that replace its own, or, without a template, at least name, base_url and auth. */
        IntegrationPut: {
            /**
             * @description A template of the built-in catalogue (GET /v1/catalog, docs/integrations.md). Templates for per-customer hosts (Jira, Salesforce, Zendesk …) have a `base_url` over `settings_fields`: each connection gives its own site.
             * @enum {string}
             */
            template?: "airtable" | "anthropic" | "asana" | "attio" | "bitbucket" | "box" | "brevo" | "calendly" | "clickup" | "close" | "coda" | "cohere" | "confluence" | "discord" | "dropbox" | "elevenlabs" | "freshbooks" | "github" | "gitlab" | "google" | "google-calendar" | "google-docs" | "google-drive" | "google-mail" | "google-sheets" | "groq" | "hubspot" | "hugging-face" | "intercom" | "jira" | "klaviyo" | "lemon-squeezy" | "linear" | "mailchimp" | "microsoft-teams" | "mistral" | "mixpanel" | "monday" | "notion" | "one-drive" | "openai" | "outlook-calendar" | "outlook-mail" | "paddle" | "pipedrive" | "plausible" | "posthog" | "postmark" | "quickbooks" | "resend" | "salesforce" | "sendgrid" | "sentry" | "slack" | "square" | "stripe" | "trello" | "typeform" | "vercel" | "xero" | "zendesk" | "zoho-crm" | "zoom";
            /** @description 1 to 255 bytes of text. */
            name?: string;
            /** @description A slug such as `crm` or `file-storage`; `""` for none (to drop a template's). */
            category?: string;
            /** @description https, without user info, query or fragment, to a public host (see the operation); may hold `{setting}` placeholders of required settings fields. */
            base_url?: string;
            auth?: components["schemas"]["IntegrationAuthPut"];
            /** @description Restricts the integration to members of these existing accounts (unknown ids: 422); empty: every user. */
            account_ids?: components["schemas"]["AccountIDValue"][];
            /** @description Replaces the template's actions when given. */
            actions?: components["schemas"]["ActionPut"][];
            /** @description Adds an action for each chosen operation of an OpenAPI document, after `actions` (or the template's); a name already taken is 422. */
            openapi?: components["schemas"]["OpenAPIImport"];
            /** @description One line of plain words; `""` for none. */
            description?: string;
            /** @description An https URL; `""` for none. */
            logo_url?: string;
            /** @description `#rrggbb` (stored in lower case); `""` for none. */
            brand_color?: string;
            /** @description An https URL; `""` for none. */
            source_url?: string;
            guide?: components["schemas"]["Guide"];
            settings_fields?: components["schemas"]["SettingsField"][];
            /** @description At most 20 static headers for every request (an API version). Not Authorization, the injected header or a framing header; values may use `{setting}` placeholders. */
            headers?: {
                [key: string]: string;
            };
            verify?: components["schemas"]["Verify"];
        } & ({
            /**
             * @description A template of the built-in catalogue (GET /v1/catalog, docs/integrations.md). Templates for per-customer hosts (Jira, Salesforce, Zendesk …) have a `base_url` over `settings_fields`: each connection gives its own site.
             * @enum {string}
             */
            template: "airtable" | "anthropic" | "asana" | "attio" | "bitbucket" | "box" | "brevo" | "calendly" | "clickup" | "close" | "coda" | "cohere" | "confluence" | "discord" | "dropbox" | "elevenlabs" | "freshbooks" | "github" | "gitlab" | "google" | "google-calendar" | "google-docs" | "google-drive" | "google-mail" | "google-sheets" | "groq" | "hubspot" | "hugging-face" | "intercom" | "jira" | "klaviyo" | "lemon-squeezy" | "linear" | "mailchimp" | "microsoft-teams" | "mistral" | "mixpanel" | "monday" | "notion" | "one-drive" | "openai" | "outlook-calendar" | "outlook-mail" | "paddle" | "pipedrive" | "plausible" | "posthog" | "postmark" | "quickbooks" | "resend" | "salesforce" | "sendgrid" | "sentry" | "slack" | "square" | "stripe" | "trello" | "typeform" | "vercel" | "xero" | "zendesk" | "zoho-crm" | "zoom";
        } | {
            /** @description 1 to 255 bytes of text. */
            name: string;
            /** @description https, without user info, query or fragment, to a public host (see the operation); may hold `{setting}` placeholders of required settings fields. */
            base_url: string;
            auth: components["schemas"]["IntegrationAuthPut"];
        });
        /** @description A template of the built-in catalogue: an integration definition without an OAuth2 client (`client_id` is `""` and `client_secret` null: the app brings its own). */
        CatalogTemplate: {
            slug: components["schemas"]["Slug"];
            name: string;
            category: string;
            /** @description One line of plain words. */
            description: string;
            /** Format: uri */
            logo_url: string | null;
            brand_color: string | null;
            /**
             * Format: uri
             * @description The provider page most facts come from.
             */
            source_url: string;
            sources: components["schemas"]["CatalogSource"][];
            /** @description May hold `{setting}` placeholders of the settings fields, in the host or the path. */
            base_url: string;
            settings_fields: components["schemas"]["SettingsField"][];
            headers: {
                [key: string]: string;
            };
            auth: components["schemas"]["IntegrationAuth"];
            guide: components["schemas"]["Guide"] | null;
            verify: components["schemas"]["Verify"] | null;
            actions: components["schemas"]["Action"][];
        };
        /** @description A documentation page a template's facts were taken from. */
        CatalogSource: {
            /** Format: uri */
            url: string;
            /** @description What was taken from the page. */
            facts: string;
        };
        CatalogList: {
            data: components["schemas"]["CatalogTemplate"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        IntegrationList: {
            data: components["schemas"]["Integration"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        /**
         * @description A permission an API key holds (`portico key create --permissions`). `all`: every operation. `read`: every GET operation. `sessions`: finding or creating users, sessions and their configuration URLs, token refresh. `perform`: tools and perform. `mcp:act_as_user`: the MCP server for any of the app's users; no other permission implies it. Each operation names the permission it needs in `x-portico-permission`; `all` and, for a GET, `read` also do.
         * @enum {string}
         */
        APIKeyPermission: "all" | "read" | "sessions" | "perform" | "mcp:act_as_user";
        /**
         * @description `connected`: usable. `expired`: the access token passed `expires_at` and there is no refresh token. `revoked`: the app or the user revoked it; its credentials are erased. `error`: the credentials failed in a way only the user can fix, such as a token refresh the provider refused.
         * @enum {string}
         */
        ConnectionStatus: "connected" | "expired" | "revoked" | "error";
        /** @description One user's connection to one integration: never the credential values. */
        Connection: {
            /** @description `con_…` */
            id: string;
            /** @description `usr_…` */
            user_id: string;
            /** @description The integration's slug. */
            integration: components["schemas"]["Slug"];
            status: components["schemas"]["ConnectionStatus"];
            created_at: components["schemas"]["Timestamp"];
            updated_at: components["schemas"]["Timestamp"];
            /** @description When the stored access token expires; null when the credentials do not expire, and once revoked. */
            expires_at: components["schemas"]["Timestamp"] | null;
            /** @description The names of the credential values stored (for OAuth2 the token keys present, expires_at aside); empty once revoked. */
            fields: string[];
            /** @description The values of the integration's settings fields; never secret. */
            settings: {
                [key: string]: string;
            };
            /** @description Who the credential belongs to, from the integration's verify answer ("Connected as …"); null when unknown. */
            account_label: string | null;
            /** @description Only on a connect whose credential could not be checked (the provider unreachable, or an unexpected answer): stored all the same. */
            warning?: string;
        };
        ConnectionImport: {
            /** @description The values by field name; for `oauth2` also `access_token` (required), `refresh_token`, `expires_at` (RFC 3339), `token_type` and `scope`. Each value at most 8 KiB of text without control characters. An empty object for `none`. */
            credentials: {
                [key: string]: string;
            };
            /** @description The values of the integration's settings fields (required ones must be given; each must match its pattern). The credential is then checked with the integration's verify request. */
            settings?: {
                [key: string]: string;
            };
        };
        /**
         * @description How a call ended: `success` (the upstream answered 1xx-3xx, a dry run, or a change that is not a perform), `upstream_error` (the upstream answered 4xx or 5xx), `connection_required`, `approval_required`, `denied` (the integration is restricted to other accounts, or the user declined an approval), `rate_limited` (perform_rate_per_user), `failed` (bad input, an unknown action, an unreachable upstream).
         * @enum {string}
         */
        ActivityOutcome: "success" | "upstream_error" | "connection_required" | "approval_required" | "denied" | "rate_limited" | "failed";
        Activity: {
            /** @description `act_…`. */
            id: string;
            /** @description The user acted for; null when the call named no known user. */
            user_id: string | null;
            /** @description The session the caller authenticated with (hosted page, `/v1/me`, MCP). */
            session_id: string | null;
            /** @description The API key the caller authenticated with. */
            api_key_id: string | null;
            /** @description The surface: `api` (the native API), `superface`, `apideck`, `connect` (the hosted page), `mcp:<client name>`, `portico` (background work such as the OAuth2 refresh). */
            client: string;
            /** @description The integration's slug. */
            integration: string | null;
            /** @description The action's name, or for a change that is not a perform its event type (`connection.created`, `session.revoked`, `approval.approved` …); null for a raw request. */
            action: string | null;
            /** @description The upstream request's method (performs only). */
            method: string | null;
            /** @description The action's path template (`/repos/{owner}/{repo}`), or a raw request's path; never the query. */
            path: string | null;
            /** @description The upstream's HTTP status; null when no answer came (not sent, dry run, transport failure). */
            upstream_status: number | null;
            outcome: components["schemas"]["ActivityOutcome"];
            /** @description A dry run: nothing was sent. */
            dry_run: boolean;
            /** @description Time Portico spent on the call, in milliseconds. */
            duration_ms: number;
            /** @description The `X-Request-Id` of the call's answer. */
            request_id: string | null;
            created_at: components["schemas"]["Timestamp"];
        };
        ActivityList: {
            data: components["schemas"]["Activity"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        ConnectionList: {
            data: components["schemas"]["Connection"][];
            /** @description The page_token of the next page; null on the last page. */
            next_page_token: string | null;
        };
        Me: {
            user: components["schemas"]["User"];
            session: components["schemas"]["Session"];
        };
        /** @description Exactly one of the keys. An `external_id` or `email` that no user has yet names a user without connections: the answer is `connection_required`, and the user is created with the session it opens. An `email` that no user is keyed by but a user with an external id has is a 409 `conflict` naming that user (`details.user_id`): send its `external_id`. An unknown `id` is a 404. */
        PerformUser: {
            /** @description The Portico user id (`usr_…`). */
            id?: string;
            /** @description The app's own id of the user. */
            external_id?: string;
            /** @description The email of a user keyed by email (trimmed, lower-cased). */
            email?: string;
        };
        /** @description A request relative to the integration's base URL; the credential is injected as the integration says and replaces any header or query parameter of the same name. */
        PerformRawRequest: {
            /**
             * @description Case-insensitive.
             * @enum {string}
             */
            method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
            /** @description Starts with a single `/` and is appended to the base URL's path. Refused (422, `details.field` `request.path`): `//`, `\`, white space, control characters, `?`, `#`, `.` and `..` segments, also %-encoded (up to three layers). %-escapes are sent as given. */
            path: string;
            /** @description Query parameters: a string, or an array for a repeated parameter. */
            query?: {
                [key: string]: string | string[];
            };
            /** @description Request headers. Host, Content-Length, Connection, Forwarded and the other framing or proxy headers are refused; Content-Type is allowed. */
            headers?: {
                [key: string]: string;
            };
            /** @description Any JSON value, sent as JSON (`Content-Type: application/json` unless given). A JSON string with a non-JSON `Content-Type` header is sent as that text (e.g. a form). Not allowed with GET and HEAD. */
            body?: unknown;
        };
        /** @description Either `action` (with `input`) or `request`. */
        PerformRequest: {
            user: components["schemas"]["PerformUser"];
            /** @description The integration's slug. */
            integration: string;
            /** @description One of the integration's actions. */
            action?: string;
            /** @description The action's arguments, checked against its `input_schema` (422 with `details.field` such as `input.repo`). They fill the `{name}` placeholders of the action's path (URL-escaped); the rest goes to the query string for GET and DELETE and to a JSON body otherwise. */
            input?: Record<string, unknown>;
            request?: components["schemas"]["PerformRawRequest"];
            /** @description Build the request and answer it (`status` `dry_run`, `request`) instead of sending it: the injected credential reads `[REDACTED]`. The user's connection, the input and the per-user rate limit are checked as for a call; an action that needs approval needs none for a dry run. Recorded in the activity log with `dry_run` true. */
            dry_run?: boolean;
        };
        PerformResponse: {
            /** @description The upstream's HTTP status; 4xx and 5xx included. */
            status: number;
            /** @description Response headers, names lower-cased, repeated values joined with `, `; hop-by-hop headers left out. */
            headers: {
                [key: string]: string;
            };
            /** @description By `body_encoding`: the upstream's JSON body itself (`json`), its text as a string (`text`), its bytes as a standard base64 string (`base64`), or null (`none`: no body). */
            body: unknown;
            /** @enum {string} */
            body_encoding: "json" | "text" | "base64" | "none";
        };
        /** @description `success` with `response`, or for a dry run `dry_run` with `request`. */
        PerformResult: {
            /**
             * @description `success`: the call happened; see `response.status`. `dry_run`: nothing was sent; see `request`.
             * @enum {string}
             */
            status: "success" | "dry_run";
            response?: components["schemas"]["PerformResponse"];
            request?: components["schemas"]["PreparedRequest"];
        };
        /** @description The request a dry run would have sent. The injected credential reads `[REDACTED]` wherever the integration puts it (a header, the query, `Authorization: Basic [REDACTED]`). */
        PreparedRequest: {
            method: string;
            /** @description The full upstream URL with its query. */
            url: string;
            /** @description Names lower-cased. */
            headers: {
                [key: string]: string;
            };
            /** @description As in PerformResponse, by `body_encoding`. */
            body: unknown;
            /** @enum {string} */
            body_encoding: "json" | "text" | "base64" | "none";
        };
        ToolFunction: {
            /** @description `<integration>_<action>`, lower case, every character other than a-z, 0-9 and _ turned into _ (`^[a-z][a-z0-9_]{0,47}$`); the same name as the MCP tool. */
            name: string;
            description: string;
            /** @description The action's input schema (JSON Schema). */
            parameters: Record<string, unknown>;
        };
        Tool: {
            /** @constant */
            type: "function";
            /** @description Portico's extension: the slug of the action's integration, to send to `POST /v1/perform` when the model calls the function. */
            integration: string;
            /** @description Portico's extension: the action's name, to send to `POST /v1/perform`. */
            action: string;
            function: components["schemas"]["ToolFunction"];
            /** @description Portico's extension, with `user_id` only: whether the user can use the tool now (`false`: a perform answers `connection_required` until the user connects the integration). */
            connected?: boolean;
        };
    };
    responses: {
        /** @description `invalid_request`: malformed JSON, a value of the wrong type, an unknown or duplicate field, trailing data, a bad `page_size` or `page_token`. `details.field` names the field when there is one. */
        BadRequest: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "invalid_request";
                    };
                };
            };
        };
        /** @description `unauthenticated`: no API key was sent (with `WWW-Authenticate`); an `Authorization` header without the `Bearer` scheme is told "Use `Authorization: Bearer <key>`.". `invalid_api_key`: the key is malformed, unknown or revoked, always with the one message; a session token (`pst_…`) or refresh token (`prt_…`) sent as the key is told so, from its prefix alone. */
        Unauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @enum {unknown} */
                        code?: "unauthenticated" | "invalid_api_key";
                    };
                };
            };
        };
        /** @description `unauthenticated`: no API key was sent (with `WWW-Authenticate`). `invalid_api_key`: the key is malformed, unknown or revoked. `invalid_token`: the refresh token is unknown, expired, revoked or was already rotated away (which revokes its session). */
        RefreshUnauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "invalid_token",
                 *         "message": "The refresh token is invalid, expired or revoked.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @enum {unknown} */
                        code?: "unauthenticated" | "invalid_api_key" | "invalid_token";
                    };
                };
            };
        };
        /** @description `unauthenticated`: no session token was sent (with `WWW-Authenticate`). `invalid_token`: the token is unknown, expired or revoked, or is not a session token; an API key (`pk_…`) or refresh token (`prt_…`) is told so, from its prefix alone. */
        SessionUnauthorized: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @enum {unknown} */
                        code?: "unauthenticated" | "invalid_token";
                    };
                };
            };
        };
        /** @description `quota_exceeded`: creating the user would exceed the app's `max_users` (`details.max_users`). */
        QuotaExceeded: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "quota_exceeded",
                 *         "message": "The app has reached its limit of 1000 users.",
                 *         "details": {
                 *           "max_users": 1000
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "quota_exceeded";
                    };
                };
            };
        };
        /** @description `not_found`: no such id, or an id that belongs to another app. The message names the value and `details.field` where it was given (`id`, `slug`, `user_id`, `user.id`, `integration`, `action`); an integration's slug and an action's name are in `details.value` too, and an unknown action lists the integration's actions in `details.available`. An id without its kind's prefix is told what the ids look like; a user's own id sent as `{id}` is told the query that finds the user. */
        NotFound: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "not_found";
                    };
                };
            };
        };
        /** @description `method_not_allowed`: the path exists but does not accept the method. Any method an operation of the path does not document gets it. */
        MethodNotAllowed: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                Allow: components["headers"]["Allow"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "method_not_allowed",
                 *         "message": "PUT is not allowed here; allowed: GET, HEAD, PATCH.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "method_not_allowed";
                    };
                };
            };
        };
        /** @description `conflict`: the request contradicts the current state (an account id already taken, an external_id or email another user holds, a session that has expired: while its refresh token works, the message says to refresh it with `POST /v1/tokens/refresh`). */
        Conflict: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "conflict",
                 *         "message": "The session has expired; create a new one.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "conflict";
                    };
                };
            };
        };
        /** @description `conflict`: the user is named by `email` alone, no user is keyed by that email, and a user with an external id has it. Creating one would make a second person of that user: `details.user_id` names it, `details.field` is the email's field. Send its `external_id` to mean that user. */
        EmailHeld: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "conflict",
                 *         "message": "User usr_izsgng7bdrw3eie5pn6v7yv6an already has this email and an external_id: send that external_id to mean this user, or an external_id of your own for another person.",
                 *         "details": {
                 *           "field": "email",
                 *           "user_id": "usr_izsgng7bdrw3eie5pn6v7yv6an"
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "conflict";
                    };
                };
            };
        };
        /** @description `session_limit_reached`: the user has `max_sessions_per_user` active sessions and the app's `session_limit_policy` is `reject` (`details.max_sessions_per_user`). `conflict`: the user is named by `email` alone and a user with an external id has it (see `EmailHeld`; `details.field` is `user.email`). */
        SessionConflict: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @enum {unknown} */
                        code?: "session_limit_reached" | "conflict";
                    };
                };
            };
        };
        /** @description `payload_too_large`: the body exceeds 1 MiB. */
        PayloadTooLarge: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "payload_too_large",
                 *         "message": "The request body must be at most 1048576 bytes.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "payload_too_large";
                    };
                };
            };
        };
        /** @description `unsupported_media_type`: the body was not sent as `Content-Type: application/json`. */
        UnsupportedMediaType: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "unsupported_media_type",
                 *         "message": "Send the body as JSON with Content-Type: application/json.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "unsupported_media_type";
                    };
                };
            };
        };
        /** @description `validation_failed`: a well-formed but unacceptable value (a TTL out of range, a redirect URI the app does not allow, a bad email, an unknown account id…). `details.field` names the field. A refused `redirect_uri` lists the app's `allowed_redirect_uris` in `details.allowed_redirect_uris` (and the first five in the message). */
        ValidationFailed: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "validation_failed",
                 *         "message": "redirect_uri must be exactly one of the app's allowed_redirect_uris: https://app.example.com/settings.",
                 *         "details": {
                 *           "field": "redirect_uri",
                 *           "allowed_redirect_uris": [
                 *             "https://app.example.com/settings"
                 *           ]
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "validation_failed";
                    };
                };
            };
        };
        /** @description `rate_limited`: too many requests with this credential, or too many failed authentications from this address. */
        RateLimited: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "rate_limited",
                 *         "message": "Too many requests; retry after 2 seconds.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "rate_limited";
                    };
                };
            };
        };
        /** @description `quota_exceeded`: the app already has the most integrations it may hold (`details.max_integrations`, 500). */
        IntegrationQuotaExceeded: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "quota_exceeded",
                 *         "message": "An app can have at most 500 integrations.",
                 *         "details": {
                 *           "max_integrations": 500
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "quota_exceeded";
                    };
                };
            };
        };
        /** @description `forbidden`: the user named is not the one the link was made for (or the app has no such user). The flow has ended, nothing was shown, and `session.verification_failed` is sent; `details.reason` is `user_mismatch`. Do not send the browser back. (An API key without the `sessions` permission is also refused with 403 `forbidden`, `details.permission` naming it, and the flow is left as it was.) */
        VerificationMismatch: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "forbidden",
                 *         "message": "This link was made for another user than the one confirmed: the flow has ended and nothing was shown; the app sent session.verification_failed.",
                 *         "details": {
                 *           "reason": "user_mismatch"
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "forbidden";
                    };
                };
            };
        };
        /** @description `gone`: the flow was confirmed or refused already, has expired (10 minutes), or its session has ended. The user opens a new link. */
        FlowGone: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "gone",
                 *         "message": "This verification flow has ended (it expired, or was confirmed or refused already); the user opens a new link.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "gone";
                    };
                };
            };
        };
        /** @description `forbidden`: the API key lacks the permission this operation needs, which `details.permission` names (the operation's `x-portico-permission`); the message also names the permissions that would do instead. */
        KeyForbidden: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "forbidden",
                 *         "message": "This API key lacks the permission read (or all), which this endpoint needs; it holds perform.",
                 *         "details": {
                 *           "permission": "read"
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "forbidden";
                    };
                };
            };
        };
        /** @description `forbidden`: the API key lacks the permission this operation needs (`details.permission`, as for `KeyForbidden`), or the integration is restricted to members of accounts the user is not a member of (`details.integration`). */
        IntegrationRestricted: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "forbidden";
                    };
                };
            };
        };
        /** @description `forbidden`: the session's `allow_actions` name neither `disconnect` nor `delete`. */
        DisconnectNotAllowed: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "forbidden",
                 *         "message": "This session does not allow disconnecting; its allow_actions name neither disconnect nor delete.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "forbidden";
                    };
                };
            };
        };
        /** @description `conflict`: the definition would send users' credentials to an origin they were not given for, and users have connections to the integration that are not revoked (`details.connections`; `details.new_destinations` lists the origins added). Keep the hosts of `base_url` and `token_url`, or replace with `force=true` to erase those connections. */
        IntegrationMoved: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "conflict",
                 *         "message": "1 connection(s) to this integration hold credentials their users gave for other destinations; this definition would also send them to https://api.acme-eu.example. Keep the base_url and token_url hosts, or replace with ?force=true to erase those connections (their users connect again).",
                 *         "details": {
                 *           "connections": 1,
                 *           "new_destinations": [
                 *             "https://api.acme-eu.example"
                 *           ]
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "conflict";
                    };
                };
            };
        };
        /** @description `conflict`: users have connections to the integration that are not revoked (`details.connections` says how many). Revoke them first, or delete with `force=true`. */
        IntegrationInUse: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "conflict",
                 *         "message": "1 connection(s) to this integration are not revoked; revoke them first, or delete with ?force=true to erase them too.",
                 *         "details": {
                 *           "connections": 1
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "conflict";
                    };
                };
            };
        };
        /** @description `internal`: an unexpected failure. The body reveals nothing; the server's log has the detail under the request id. */
        Internal: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "internal",
                 *         "message": "Internal error.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "internal";
                    };
                };
            };
        };
        /** @description `unavailable`: the store cannot be reached; retry after `Retry-After`. */
        Unavailable: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "unavailable",
                 *         "message": "The database is unavailable; try again shortly.",
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "unavailable";
                    };
                };
            };
        };
        /** @description `conflict`: the user is named by `email` alone and a user with an external id has that email (`details.user_id`, `details.field` `user.email`; see `EmailHeld`): send its `external_id` instead. `connection_required`: the user has no usable connection to the integration. `details` holds `integration` (slug), `reason` (`missing`, `expired` or `revoked`), a fresh single-use `configuration_url` with `configuration_url_expires_at`, and an `assistant_hint` for an agent to relay. A session is created for the user when none is active (a user named by `external_id` or `email` that did not exist is created with it); otherwise the newest active session that may show the integration gets a new code. `approval_required`: the action needs the user's approval of this very call (its `approval` is `confirm`, or it is a DELETE and the app's `approval_default_for_delete` is `confirm`) and nothing was sent. `details` holds `approval_id`, `integration`, `action`, `approval_url` (a configuration URL whose page shows the call with Approve and Decline), `expires_at`, `summary` (`method`, `path`, `query`, a `body` preview; credential fields and `secret` inputs read `[REDACTED]`) and an `assistant_hint`. After the user approves, the same call (same action, same input) runs once; a call made again before the decision gets the same approval; a declined or expired approval never runs (docs/activity-and-approvals.md). */
        ConnectionRequired: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @enum {unknown} */
                        code?: "connection_required" | "approval_required" | "conflict";
                    };
                };
            };
        };
        /** @description `upstream_unreachable`: the upstream call did not produce an answer to pass on. `details.reason`: `connection_failed` (DNS, TCP or TLS failure), `blocked_address` (the host resolves to a loopback, private, link-local, unique-local, CGNAT, multicast or metadata address, refused unless the server runs with `--allow-private-upstreams`), `redirect_refused` (a redirect to another scheme or host), `too_many_redirects` (more than 5 within the host), `response_too_large` (a body over 10 MiB; `details.max_bytes`). */
        UpstreamUnreachable: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "upstream_unreachable",
                 *         "message": "Portico does not connect to 169.254.169.254: link-local address (cloud metadata). Only public addresses can be reached.",
                 *         "details": {
                 *           "reason": "blocked_address"
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "upstream_unreachable";
                    };
                };
            };
        };
        /** @description `upstream_timeout`: the upstream did not answer in full within 30 seconds. */
        UpstreamTimeout: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "upstream_timeout",
                 *         "message": "The upstream did not answer within 30s.",
                 *         "details": {
                 *           "reason": "timeout"
                 *         },
                 *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["ErrorBody"] & {
                    error?: {
                        /** @constant */
                        code?: "upstream_timeout";
                    };
                };
            };
        };
    };
    parameters: {
        /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
        PageSize: number;
        /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
        PageToken: string;
        /**
         * @description The user's id (`usr_…`). A user of another app is not found.
         * @example usr_izsgng7bdrw3eie5pn6v7yv6an
         */
        UserID: string;
        /**
         * @description The account's id. An account of another app is not found.
         * @example acme-corp
         */
        AccountID: string;
        /**
         * @description The session's id (`ses_…`). A session of another app is not found.
         * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
         */
        SessionID: string;
        /**
         * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
         * @example github
         */
        IntegrationSlug: components["schemas"]["Slug"];
        /**
         * @description The connection's id (`con_…`). A connection of another app is not found.
         * @example con_iua6bdhjr4wpacchin7ll677hm
         */
        ConnectionID: string;
    };
    requestBodies: never;
    headers: {
        /** @description The id of the request (`req_…`), also in the error body and the server's log. */
        "X-Request-Id": string;
        /** @description The response holds a secret: `no-store`. */
        "Cache-Control-No-Store": "no-store";
        /** @description Seconds to wait before retrying. */
        "Retry-After": number;
        /** @description `Bearer realm="portico"`, when the credential is missing (`unauthenticated`). */
        "WWW-Authenticate": string;
        /** @description The methods the path accepts. */
        Allow: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process serves requests. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        status: "ok";
                    };
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The store answers. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready"
                     *     }
                     */
                    "application/json": {
                        /** @constant */
                        status: "ready";
                    };
                };
            };
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The metrics. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # TYPE portico_http_requests_total counter
                     *     portico_http_requests_total{method="GET",route="GET /v1/me",status="200"} 42
                     */
                    "text/plain": string;
                };
            };
        };
    };
    getOpenAPI: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description The document may be cached for an hour. */
                    "Cache-Control"?: string;
                    /** @description A strong validator of the document. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        openapi: "3.1.0";
                    };
                };
            };
            /** @description The document has not changed since the `ETag` given in `If-None-Match`. */
            304: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getApp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The app of the API key. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateApp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AppUpdate"];
            };
        };
        responses: {
            /** @description The updated app. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    /** @description `no-store` when the body holds a `webhook_secret`. */
                    "Cache-Control"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["App"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listUsers: {
        parameters: {
            query?: {
                /** @description Only the user with this external id. */
                external_id?: string;
                /** @description Only users with this email. */
                email?: string;
                /** @description Only members of this account. */
                account_id?: string;
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of users. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserCreate"];
            };
        };
        responses: {
            /** @description The user existed. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description The user was created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            402: components["responses"]["QuotaExceeded"];
            403: components["responses"]["KeyForbidden"];
            409: components["responses"]["EmailHeld"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user is erased. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Ann Lee",
                 *       "metadata": {
                 *         "plan": "enterprise"
                 *       },
                 *       "account_ids": [
                 *         "acme-corp",
                 *         "acme-labs"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["UserUpdate"];
            };
        };
        responses: {
            /** @description The updated user. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeUserSessions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The number of sessions revoked. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "revoked": 3
                     *     }
                     */
                    "application/json": components["schemas"]["Revoked"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listAccounts: {
        parameters: {
            query?: {
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of accounts. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AccountCreate"];
            };
        };
        responses: {
            /** @description The account was created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getAccount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The account's id. An account of another app is not found.
                 * @example acme-corp
                 */
                id: components["parameters"]["AccountID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteAccount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The account's id. An account of another app is not found.
                 * @example acme-corp
                 */
                id: components["parameters"]["AccountID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account is deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    updateAccount: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The account's id. An account of another app is not found.
                 * @example acme-corp
                 */
                id: components["parameters"]["AccountID"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Acme Corporation"
                 *     }
                 */
                "application/json": components["schemas"]["AccountUpdate"];
            };
        };
        responses: {
            /** @description The renamed account. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Account"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listSessions: {
        parameters: {
            query?: {
                /** @description Only sessions of this user. */
                user_id?: string;
                /** @description Only sessions of the user with this external id. */
                external_user_id?: string;
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of sessions. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SessionCreate"];
            };
        };
        responses: {
            /** @description The session, its secrets and a configuration URL. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "session": {
                     *         "id": "ses_e3kzbdlp2n4g36qwus75wpfwxq",
                     *         "user_id": "usr_izsgng7bdrw3eie5pn6v7yv6an",
                     *         "external_user_id": "u-42",
                     *         "created_at": "2024-10-11T09:02:56Z",
                     *         "updated_at": "2024-10-11T09:02:56Z",
                     *         "expires_at": "2024-10-11T10:02:56Z",
                     *         "refreshable": true,
                     *         "redirect_uri": "https://app.example.com/settings",
                     *         "settings": {
                     *           "integrations": [
                     *             "github"
                     *           ],
                     *           "categories": [
                     *             "crm"
                     *           ],
                     *           "allow_actions": [
                     *             "disconnect",
                     *             "reauthorize"
                     *           ],
                     *           "isolation_mode": false,
                     *           "sandbox_mode": false,
                     *           "auto_redirect": false,
                     *           "tools": {
                     *             "allow": [],
                     *             "deny": [],
                     *             "read_only": false
                     *           },
                     *           "show_sidebar": true,
                     *           "show_activity": true,
                     *           "hide_guides": false,
                     *           "hide_resource_settings": false,
                     *           "show_suggestions": false
                     *         },
                     *         "theme": {
                     *           "name": "Acme",
                     *           "primary_color": "#286efa"
                     *         },
                     *         "custom_settings": {}
                     *       },
                     *       "token": "pst_1etriptF4CYheoVnKBJv8ug-2jhzZ7WIulTJHGMt7gs",
                     *       "refresh_token": "prt_9RJRfAGbQQxr8215FXFHRN6IieCiIbbgTxip480SCVc",
                     *       "configuration_url": "http://127.0.0.1:8080/connect/pcc_PKzgexDT3aAzSlnCPnHYPzDqGV8Yt8FmA_5YLogFs_4",
                     *       "configuration_url_expires_at": "2024-10-11T09:17:56Z",
                     *       "assistant_hint": "Tell the user to open the URL in 'configuration_url' to connect their tools. Always show the whole URL. It expires in 15 minutes.",
                     *       "mcp_url": "http://127.0.0.1:8080/mcp"
                     *     }
                     */
                    "application/json": components["schemas"]["SessionCreated"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            402: components["responses"]["QuotaExceeded"];
            403: components["responses"]["KeyForbidden"];
            409: components["responses"]["SessionConflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session is revoked. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    extendSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "ttl_seconds": 3600
                 *     }
                 */
                "application/json": components["schemas"]["SessionExtend"];
            };
        };
        responses: {
            /** @description The session with its new expiry. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createConfigurationURL: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The session's id (`ses_…`). A session of another app is not found.
                 * @example ses_e3kzbdlp2n4g36qwus75wpfwxq
                 */
                id: components["parameters"]["SessionID"];
            };
            cookie?: never;
        };
        /** @description No body, or an empty JSON object. */
        requestBody?: {
            content: {
                /** @example {} */
                "application/json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description The configuration URL. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConfigurationURL"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    confirmVerification: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The flow id the browser brought (`vfl_…`). A flow of another app is not found.
                 * @example vfl_mkc2rzdrrwquhmbxlmxafzlbgq
                 */
                flow: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "user": {
                 *         "external_id": "u-42"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["VerificationConfirm"];
            };
        };
        responses: {
            /** @description The link's user: send the browser to `return_to`. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "return_to": "https://portico.example.com/connect/verified/pvr_Zk3sVQm0aY1d6cXo8rUq2b7nHfLwJtPe4gCiMzRAy9E"
                     *     }
                     */
                    "application/json": components["schemas"]["VerificationConfirmed"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["VerificationMismatch"];
            404: components["responses"]["NotFound"];
            410: components["responses"]["FlowGone"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    refreshTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "refresh_token": "prt_9RJRfAGbQQxr8215FXFHRN6IieCiIbbgTxip480SCVc"
                 *     }
                 */
                "application/json": components["schemas"]["TokenRefresh"];
            };
        };
        responses: {
            /** @description The new secrets. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "token": "pst_8wjXAUHFQ-EJEwOkW2hRRaFT2MAdp1KRK36tXwww7Z8",
                     *       "refresh_token": "prt_4gD_n8WAuUZy1U65aNi_wrf5mYY2uLoJbxnQNx39rNU",
                     *       "expires_at": "2024-10-11T11:02:56Z"
                     *     }
                     */
                    "application/json": components["schemas"]["TokenRefreshed"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["RefreshUnauthorized"];
            403: components["responses"]["KeyForbidden"];
            /** @description `session_limit_reached`: the refresh would bring an expired session back while the user has `max_sessions_per_user` active sessions, and the app's `session_limit_policy` is `reject` (`details.max_sessions_per_user`). Nothing changed: the refresh token still works once a session ends. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "session_limit_reached",
                     *         "message": "The user already has 10 active sessions, the app's max_sessions_per_user; revoke one first.",
                     *         "details": {
                     *           "max_sessions_per_user": 10
                     *         },
                     *         "request_id": "req_azpj5rksg66ic5him34drsfwoo"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorBody"] & {
                        error?: {
                            /** @enum {unknown} */
                            code?: "session_limit_reached";
                        };
                    };
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listCatalog: {
        parameters: {
            query?: {
                /** @description Only templates of this category (`crm`, `ticketing`, `code`, `communication`, `knowledge-base`, `file-storage`, `calendar`, `email`, `accounting`, `payments`, `marketing`, `analytics`, `ai`, `identity`); another value lists none. */
                category?: string;
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of templates. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listIntegrations: {
        parameters: {
            query?: {
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of integrations. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IntegrationList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getIntegration: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The integration. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Integration"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    putIntegration: {
        parameters: {
            query?: {
                /** @description `true` to erase the connections to the integration when this definition sends credentials to a new origin. Anything but `true` or `false` is a 400. */
                force?: boolean;
            };
            header?: never;
            path: {
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["IntegrationPut"];
            };
        };
        responses: {
            /** @description The integration existed and was replaced. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Integration"];
                };
            };
            /** @description The integration was created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Integration"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            402: components["responses"]["IntegrationQuotaExceeded"];
            403: components["responses"]["KeyForbidden"];
            409: components["responses"]["IntegrationMoved"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteIntegration: {
        parameters: {
            query?: {
                /** @description `true` to erase the connections to the integration with it. Anything but `true` or `false` is a 400. */
                force?: boolean;
            };
            header?: never;
            path: {
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The integration is deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["IntegrationInUse"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listConnections: {
        parameters: {
            query?: {
                /** @description Only connections of this user (`usr_…`). */
                user_id?: string;
                /** @description Only connections to the integration with this slug. */
                integration?: string;
                /** @description Only connections showing this status. Another value is a 400. */
                status?: components["schemas"]["ConnectionStatus"];
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of connections. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The connection's id (`con_…`). A connection of another app is not found.
                 * @example con_iua6bdhjr4wpacchin7ll677hm
                 */
                id: components["parameters"]["ConnectionID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The connection. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The connection's id (`con_…`). A connection of another app is not found.
                 * @example con_iua6bdhjr4wpacchin7ll677hm
                 */
                id: components["parameters"]["ConnectionID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    importConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The user's id (`usr_…`). A user of another app is not found.
                 * @example usr_izsgng7bdrw3eie5pn6v7yv6an
                 */
                id: components["parameters"]["UserID"];
                /**
                 * @description The integration's slug, chosen by the app (1 to 64 of a-z, 0-9, _ and -). An integration of another app is not found.
                 * @example github
                 */
                slug: components["parameters"]["IntegrationSlug"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionImport"];
            };
        };
        responses: {
            /** @description The user's connection existed; its credentials were replaced. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description The connection was created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["IntegrationRestricted"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user and the session of the token. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Me"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["SessionUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listMyConnections: {
        parameters: {
            query?: {
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the user's connections. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["SessionUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeMyConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description The connection's id (`con_…`). A connection of another app is not found.
                 * @example con_iua6bdhjr4wpacchin7ll677hm
                 */
                id: components["parameters"]["ConnectionID"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revoked connection. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["SessionUnauthorized"];
            403: components["responses"]["DisconnectNotAllowed"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listActivity: {
        parameters: {
            query?: {
                /** @description Only rows of this user (`usr_…`). */
                user_id?: string;
                /** @description Only rows of the integration with this slug. */
                integration?: string;
                /** @description Only rows with this outcome. Another value is a 400. */
                outcome?: components["schemas"]["ActivityOutcome"];
                /** @description Only rows at or after this time (RFC 3339). */
                since?: string;
                /** @description Only rows before this time (RFC 3339); after `since` when both are given. */
                until?: string;
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of activity rows, newest first. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActivityList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listMyActivity: {
        parameters: {
            query?: {
                /** @description Only rows of the integration with this slug. */
                integration?: string;
                /** @description Only rows with this outcome. Another value is a 400. */
                outcome?: components["schemas"]["ActivityOutcome"];
                /** @description Only rows at or after this time (RFC 3339). */
                since?: string;
                /** @description Only rows before this time (RFC 3339); after `since` when both are given. */
                until?: string;
                /** @description How many items a page holds. Out of range, or not a whole number: 400 `invalid_request`. */
                page_size?: components["parameters"]["PageSize"];
                /** @description The `next_page_token` of the previous page of the same list, with the same filters. Opaque; altered or foreign tokens are a 400 `invalid_request`. */
                page_token?: components["parameters"]["PageToken"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the user's activity rows, newest first. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActivityList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["SessionUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    perform: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PerformRequest"];
            };
        };
        responses: {
            /** @description The upstream answered (any status). */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Control": components["headers"]["Cache-Control-No-Store"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "success",
                     *       "response": {
                     *         "status": 200,
                     *         "headers": {
                     *           "content-type": "application/json; charset=utf-8"
                     *         },
                     *         "body": [
                     *           {
                     *             "id": 1296269,
                     *             "full_name": "octocat/hello-world"
                     *           }
                     *         ],
                     *         "body_encoding": "json"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["PerformResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["IntegrationRestricted"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["ConnectionRequired"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ValidationFailed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            502: components["responses"]["UpstreamUnreachable"];
            503: components["responses"]["Unavailable"];
            504: components["responses"]["UpstreamTimeout"];
        };
    };
    listTools: {
        parameters: {
            query?: {
                /** @description Only the actions this user (`usr_…`) may use, each with `connected`; an unknown user is a 404. */
                user_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tools. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example [
                     *       {
                     *         "type": "function",
                     *         "connected": false,
                     *         "function": {
                     *           "name": "github_list_repos",
                     *           "description": "List the user's repositories.",
                     *           "parameters": {
                     *             "type": "object",
                     *             "properties": {
                     *               "per_page": {
                     *                 "type": "integer",
                     *                 "minimum": 1,
                     *                 "maximum": 100
                     *               }
                     *             }
                     *           }
                     *         },
                     *         "integration": "github",
                     *         "action": "list-repos"
                     *       }
                     *     ]
                     */
                    "application/json": components["schemas"]["Tool"][];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["KeyForbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
}
