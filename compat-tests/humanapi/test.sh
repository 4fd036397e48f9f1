#!/usr/bin/env bash
# Runs Human API Connect's published "Start a User Session" sample (node-fetch
# 2) against Portico: a session token for a new user, the 403 once the user
# has connected a source, then an id token. Needs the variables that
# compat-tests/run exports. Exits non-zero unless every answer has the
# documented shape and the tokens work.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
: "${PORTICO_URL:?}" "${PORTICO_APP_ID:?}" "${PORTICO_API_KEY:?}"

npm ci --no-audit --no-fund --loglevel=error

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CLIENT_USER_ID="humanapi-sample-$(date +%s)-$$"

EXPECT=session ANSWER_FILE="$tmp/session.json" node -r ./expect.js sample-session.js
node portico.js check-session "$tmp/session.json"

node portico.js connect "$CLIENT_USER_ID"
EXPECT=session_refused node -r ./expect.js sample-session.js

EXPECT=id ANSWER_FILE="$tmp/id.json" node -r ./expect.js sample-id.js
node portico.js check-id "$tmp/id.json"
