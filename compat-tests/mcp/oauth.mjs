// Drives an app's OAuth 2.1 authorization server (docs/identity.md) with
// the official TypeScript SDK's OAuth support: unauthenticated → 401 →
// metadata → registration → authorization (the sign-in through a loopback
// verifier playing the app, and the consent page, driven by following
// redirects) → token → tools/list; then refresh rotation, reuse of the old
// refresh token (which revokes), and the audience.
//
// Needs PORTICO_URL, PORTICO_API_KEY, PORTICO_BIN and PORTICO_DATA_DIR
// (compat-tests/run sets them).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = need("PORTICO_URL");
const compatKey = need("PORTICO_API_KEY");

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}`);
    console.error(err);
    process.exit(1);
  }
}

// An app of its own, so that its user verification touches no other suite.
const app = JSON.parse(execFileSync(need("PORTICO_BIN"), ["app", "create", "--name", "OAuth compat", "--json", "--data-dir", need("PORTICO_DATA_DIR")]));
const key = app.api_key;
const resource = `${url}/a/${app.app_id}/mcp`;

async function native(apiKey, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The app: whoever is "logged in" is confirmed for the flow Portico sent.
let loggedIn = "oauth-ann";
const verifier = http.createServer(async (req, res) => {
  const flow = new URL(req.url, "http://x").searchParams.get("flow");
  const r = await fetch(`${url}/v1/verifications/${encodeURIComponent(flow)}/confirm`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ user: { external_id: loggedIn } }),
  });
  if (r.status !== 200) {
    res.writeHead(403).end("This link was not meant for you.");
    return;
  }
  res.writeHead(303, { Location: (await r.json()).return_to }).end();
});
await new Promise((r) => verifier.listen(0, "127.0.0.1", r));

const callback = "http://127.0.0.1:9/callback";

// The client's storage, in memory.
class Provider {
  get redirectUrl() { return callback; }
  get clientMetadata() {
    return { client_name: "Compat Agent", redirect_uris: [callback], grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"], token_endpoint_auth_method: "none" };
  }
  state() { return randomUUID(); }
  clientInformation() { return this.info; }
  saveClientInformation(info) { this.info = info; }
  tokens() { return this.saved; }
  saveTokens(t) { this.saved = t; }
  redirectToAuthorization(u) { this.authorizationURL = u; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

// browse follows redirects from start as a browser would (cookies kept),
// answers the consent page with decision, and returns the URL the client's
// callback receives.
async function browse(start, decision) {
  const jar = new Map();
  const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  let at = new URL(start);
  for (let hops = 0; hops < 10; hops++) {
    const res = await fetch(at, { redirect: "manual", headers: { Cookie: cookies() } });
    keep(res);
    if (res.status === 303 || res.status === 302) {
      at = new URL(res.headers.get("location"), at);
      if (at.href.startsWith(callback)) return at;
      continue;
    }
    const page = await res.text();
    assert.equal(res.status, 200, page);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.match(page, /Compat Agent/);
    assert.match(page, /127\.0\.0\.1:9/);
    assert.match(page, /notes_list_notes/);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)[1];
    const post = await fetch(at, {
      method: "POST", redirect: "manual",
      headers: { Cookie: cookies(), "Content-Type": "application/x-www-form-urlencoded", Origin: new URL(url).origin },
      body: new URLSearchParams({ csrf_token: csrf, decision }),
    });
    assert.equal(post.status, 303);
    return new URL(post.headers.get("location"));
  }
  throw new Error("too many redirects");
}

async function listTools(token) {
  const c = new Client({ name: "compat-oauth", version: "1" });
  await c.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const { tools } = await c.listTools();
  await c.close();
  return tools.map((t) => t.name);
}

async function token(form) {
  const res = await fetch(`${url}/a/${app.app_id}/token`, { method: "POST", body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json() };
}

await step("setup: user verification and one tool", async () => {
  await native(key, "PATCH", "/v1/app", { settings: { user_verification_url: `http://127.0.0.1:${verifier.address().port}/verify` } });
  await native(key, "PUT", "/v1/integrations/notes", { name: "Notes", base_url: "https://notes.example.com", auth: { type: "none" },
    actions: [{ name: "list-notes", description: "List notes.", method: "GET", path: "/notes" }] });
});

await step("unauthenticated: 401 naming the resource metadata", async () => {
  const res = await fetch(resource, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }) });
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate"), new RegExp(`resource_metadata="${url}/.well-known/oauth-protected-resource/a/${app.app_id}/mcp"`));
});

const provider = new Provider();
await step("the SDK discovers, registers and asks for authorization; denied, no code", async () => {
  const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
  await assert.rejects(new Client({ name: "compat-oauth", version: "1" }).connect(transport), UnauthorizedError);
  assert.ok(provider.info.client_id.startsWith("pcl_"), JSON.stringify(provider.info));
  const at = provider.authorizationURL;
  assert.equal(at.origin + at.pathname, `${url}/a/${app.app_id}/authorize`);
  assert.equal(at.searchParams.get("code_challenge_method"), "S256");
  assert.equal(at.searchParams.get("resource"), resource);
  const back = await browse(at, "deny");
  assert.equal(back.searchParams.get("error"), "access_denied");
  assert.equal(back.searchParams.get("code"), null);
});

let tokens;
await step("allowed: code → token → tools/list", async () => {
  const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
  await assert.rejects(new Client({ name: "compat-oauth", version: "1" }).connect(transport), UnauthorizedError);
  const back = await browse(provider.authorizationURL, "allow");
  assert.equal(back.searchParams.get("iss"), `${url}/a/${app.app_id}`);
  assert.equal(back.searchParams.get("state"), provider.authorizationURL.searchParams.get("state"));
  await transport.finishAuth(back.searchParams.get("code"));
  tokens = provider.tokens();
  assert.ok(tokens.access_token.startsWith("pat_"));
  const c = new Client({ name: "compat-oauth", version: "1" });
  await c.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider }));
  const { tools } = await c.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["notes_list_notes"]);
  await c.close();
});

await step("refresh rotates; the old refresh token reused revokes the session", async () => {
  const fresh = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: provider.info.client_id });
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  assert.notEqual(fresh.body.access_token, tokens.access_token);
  assert.notEqual(fresh.body.refresh_token, tokens.refresh_token);
  assert.deepEqual(await listTools(fresh.body.access_token), ["notes_list_notes"]);
  // Past the second given to a refresh that raced the rotation (docs/identity.md).
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const reused = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: provider.info.client_id });
  assert.equal(reused.status, 400);
  assert.equal(reused.body.error, "invalid_grant");
  await assert.rejects(listTools(fresh.body.access_token));
});

await step("a token for this app's resource is refused by another app's", async () => {
  provider.saved = undefined; // the revoked session's tokens: authorize again
  const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
  await assert.rejects(new Client({ name: "compat-oauth", version: "1" }).connect(transport), UnauthorizedError);
  const back = await browse(provider.authorizationURL, "allow");
  await transport.finishAuth(back.searchParams.get("code"));
  const access = provider.tokens().access_token;
  assert.deepEqual(await listTools(access), ["notes_list_notes"]);
  const other = (await native(compatKey, "GET", "/v1/app")).id;
  const res = await fetch(`${url}/a/${other}/mcp`, { method: "POST", headers: { Authorization: `Bearer ${access}`, "Content-Type": "application/json",
    Accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
  assert.equal(res.status, 401);
  const plain = await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${access}` } });
  assert.equal(plain.status, 401);
});

verifier.close();
console.log("MCP OAuth: all passed");
