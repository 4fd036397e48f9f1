// Drives Portico's MCP server with the official TypeScript clients: the
// 2025-era @modelcontextprotocol/sdk (1.x) and @modelcontextprotocol/client
// (2.x, both eras). A loopback HTTP server stands in for a third-party API
// and records what reaches it. Exits non-zero on the first failure.
//
// Needs PORTICO_URL and PORTICO_API_KEY (compat-tests/run sets them).
import assert from "node:assert/strict";
import http from "node:http";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client, StreamableHTTPClientTransport, UrlElicitationRequiredError } from "@modelcontextprotocol/client";

const url = need("PORTICO_URL");
const apiKey = need("PORTICO_API_KEY");
const run = Date.now();

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

// The third party: every request it sees is recorded.
const seen = [];
const upstream = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    seen.push({ method: req.method, path: req.url, auth: req.headers.authorization ?? "", body });
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ method: req.method, path: req.url, auth: req.headers.authorization ?? "" }));
  });
});
await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamURL = `http://127.0.0.1:${upstream.address().port}`;

async function native(method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${path}: ${res.status} ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}`);
    console.error(err);
    upstream.close();
    process.exit(1);
  }
}

// session creates a session for a user of this run and returns its token
// and the user's id. The session shows this suite's integration only: the
// app is shared with the other suites, which define their own.
async function session(user, settings = {}) {
  const s = await native("POST", "/v1/sessions", { user: { external_id: `${user}-${run}` },
    settings: { integrations: ["acme-crm"], ...settings } });
  assert.equal(s.mcp_url, `${url}/mcp`);
  return { token: s.token, userID: s.session.user_id };
}

async function connect(userID, key) {
  await native("PUT", `/v1/users/${userID}/connections/acme-crm`, { credentials: { api_key: key } });
}

function headers(token) {
  return { requestInit: { headers: { Authorization: `Bearer ${token}` } } };
}

async function v1(token, capabilities = {}) {
  const c = new ClientV1({ name: "compat-v1", version: "1" }, { capabilities });
  await c.connect(new TransportV1(new URL(`${url}/mcp`), headers(token)));
  return c;
}

async function v2(token, mode, capabilities = {}) {
  const c = new Client({ name: "compat-v2", version: "1" }, { capabilities, versionNegotiation: { mode } });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), headers(token)));
  return c;
}

const text = (res) => res.content.filter((c) => c.type === "text").map((c) => c.text).join("");

let ann, bob, carl, dave, erin, reader;
await step("setup through the native API", async () => {
  // The suite calls faster than a person: past the default per-user limit.
  await native("PATCH", "/v1/app", { settings: { perform_rate_per_user: 100000, perform_burst_per_user: 100000 } });
  await native("PUT", "/v1/integrations/acme-crm", {
    name: "Acme CRM", category: "crm", base_url: upstreamURL,
    auth: { type: "api_key", fields: [{ name: "api_key", secret: true }], inject: { header: "Authorization", format: "Bearer {api_key}" } },
    actions: [
      { name: "get-deal", description: "Get a deal.", method: "GET", path: "/deals/{id}",
        input_schema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] } },
      { name: "delete-deal", description: "Delete a deal.", method: "DELETE", path: "/deals/{id}",
        input_schema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] } },
    ],
  });
  ann = await session("ann");
  bob = await session("bob");
  carl = await session("carl");
  dave = await session("dave");
  erin = await session("erin");
  reader = await session("ann", { tools: { read_only: true } });
  await connect(ann.userID, "ann-crm-key-0001");
  await connect(bob.userID, "bob-crm-key-0002");
});

const clients = [
  ["@modelcontextprotocol/sdk 1.x", (t, caps) => v1(t, caps)],
  ["@modelcontextprotocol/client 2.x, legacy", (t, caps) => v2(t, "legacy", caps)],
  ["@modelcontextprotocol/client 2.x, auto (2026-07-28)", (t, caps) => v2(t, "auto", caps)],
];

for (const [name, open] of clients) {
  await step(`${name}: lists the tools and calls a connected action`, async () => {
    const c = await open(ann.token);
    if (name.includes("auto")) {
      assert.equal(c.getProtocolEra(), "modern");
    }
    const { tools } = await c.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["acme_crm_delete_deal", "acme_crm_get_deal"]);
    assert.equal(tools[1].annotations.readOnlyHint, true);
    assert.equal(tools[0].annotations.destructiveHint, true);
    const before = seen.length;
    const res = await c.callTool({ name: "acme_crm_get_deal", arguments: { id: "42" } });
    assert.equal(res.isError ?? false, false, text(res));
    assert.equal(res.structuredContent.path, "/deals/42");
    const got = seen.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0].auth, "Bearer ann-crm-key-0001");
    assert.ok(!JSON.stringify(got).includes(ann.token), "the upstream saw the session token");
    await c.close();
  });
}

await step("a read-only session cannot call a write tool, and the upstream sees nothing", async () => {
  for (const [, open] of clients) {
    const c = await open(reader.token);
    const { tools } = await c.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["acme_crm_get_deal"]);
    const before = seen.length;
    await assert.rejects(c.callTool({ name: "acme_crm_delete_deal", arguments: { id: "1" } }), /unknown tool/);
    assert.equal(seen.length, before);
    await c.close();
  }
});

await step("two users calling concurrently never cross credentials", async () => {
  const users = [[ann, "Bearer ann-crm-key-0001"], [bob, "Bearer bob-crm-key-0002"]];
  const calls = [];
  for (const [u, want] of users) {
    for (const [, open] of clients) {
      const c = await open(u.token);
      for (let i = 0; i < 10; i++) {
        calls.push(c.callTool({ name: "acme_crm_get_deal", arguments: { id: String(i) } }).then((res) => {
          assert.equal(res.structuredContent.auth, want);
        }));
      }
      calls.push(Promise.allSettled(calls.slice()).then(() => c.close()));
    }
  }
  await Promise.all(calls);
});

await step("no URL elicitation: a tool error with the link, and the same data in _meta", async () => {
  for (const [, open] of clients) {
    const c = await open(carl.token);
    const res = await c.callTool({ name: "acme_crm_get_deal", arguments: { id: "1" } });
    assert.equal(res.isError, true);
    const meta = res._meta["dev.portico/configuration_required"];
    assert.equal(meta.integration, "acme-crm");
    assert.equal(meta.reason, "missing");
    assert.ok(meta.url.startsWith(`${url}/connect/`), meta.url);
    assert.ok(text(res).startsWith("NOT EXECUTED: Acme CRM is not connected for this user."), text(res));
    assert.ok(text(res).includes(meta.url));
    await c.close();
  }
});

await step("2025 era with URL elicitation: -32042, then notifications/elicitation/complete", async () => {
  const c = new Client({ name: "compat-v2", version: "1" }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: "legacy" } });
  const completed = new Promise((resolve) => {
    c.setNotificationHandler("notifications/elicitation/complete", (n) => resolve(n.params.elicitationId));
  });
  c.setRequestHandler("elicitation/create", async () => ({ action: "accept" }));
  await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), headers(dave.token)));
  let err;
  try {
    await c.callTool({ name: "acme_crm_get_deal", arguments: { id: "1" } });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UrlElicitationRequiredError, `want UrlElicitationRequiredError, got ${err}`);
  assert.equal(err.code, -32042);
  const [el] = err.elicitations;
  assert.equal(el.mode, "url");
  assert.ok(el.url.startsWith(`${url}/connect/`));
  await connect(dave.userID, "dave-crm-key-0004");
  const id = await Promise.race([completed, new Promise((_, no) => setTimeout(() => no(new Error("no completion")), 10000))]);
  assert.equal(id, el.elicitationId);
  const res = await c.callTool({ name: "acme_crm_get_deal", arguments: { id: "1" } });
  assert.equal(res.structuredContent.auth, "Bearer dave-crm-key-0004");
  await c.close();
});

await step("2026-07-28 with URL elicitation: an InputRequiredResult whose retry runs once the user connects", async () => {
  const c = new Client({ name: "compat-v2", version: "1" }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: "auto" } });
  const asked = [];
  c.setRequestHandler("elicitation/create", async (req) => {
    asked.push(req.params);
    setTimeout(() => connect(erin.userID, "erin-crm-key-0005"), 300);
    return { action: "accept" };
  });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), headers(erin.token)));
  assert.equal(c.getProtocolEra(), "modern");
  const before = seen.length;
  const res = await c.callTool({ name: "acme_crm_get_deal", arguments: { id: "7" } });
  assert.equal(res.isError ?? false, false, text(res));
  assert.equal(asked.length, 1);
  assert.equal(asked[0].mode, "url");
  assert.ok(asked[0].url.startsWith(`${url}/connect/`));
  assert.deepEqual(seen.slice(before).map((s) => s.auth), ["Bearer erin-crm-key-0005"]);
  await c.close();
});

upstream.close();
console.log("MCP clients: all passed");
