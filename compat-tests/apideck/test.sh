#!/usr/bin/env bash
# Runs the official Apideck TypeScript SDK against a running Portico
# (PORTICO_URL, PORTICO_API_KEY, PORTICO_APP_ID; see ../run).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
node test.mjs
