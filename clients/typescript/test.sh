#!/usr/bin/env bash
# Installs the locked dev dependencies and runs the tests: bash test.sh
# (PORTICO_BIN may name a portico binary built already.)
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund --loglevel=error
npm test
