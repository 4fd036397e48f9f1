// The client against a real server: every operation of the OpenAPI
// document the server serves is called at least once (the last test checks
// it), with the answers and errors an app sees.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import {
  isConnectionRequired,
  isPorticoError,
  Portico,
  PorticoError,
  verifyWebhook,
  WebhookVerificationError,
  type User,
} from "@porticohq/portico";
import { packageDir, startServer, type TestServer } from "./server.js";

let server: TestServer;
let portico: Portico;
/** "METHOD /path" of every request the clients sent. */
const sent: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  sent.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
  return fetch(input, init);
};

/** A local HTTP server; handle answers each request with its raw body. */
async function listen(handle: (method: string, url: string, headers: IncomingHttpHeaders, body: Buffer) => [number, string]): Promise<{ url: string; close: () => Promise<void> }> {
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [status, body] = handle(req.method ?? "", req.url ?? "", req.headers, Buffer.concat(chunks));
      res.writeHead(status, { "content-type": body.startsWith("{") ? "application/json" : "text/plain" });
      res.end(body);
    });
  });
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((res) => srv.close(() => res())) };
}

/** Awaits p and answers the PorticoError it throws. */
async function rejection(p: Promise<unknown>): Promise<PorticoError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PorticoError, `want a PorticoError, got ${String(err)}`);
    return err;
  }
  assert.fail("the call succeeded");
}

before(async () => {
  server = await startServer();
  portico = new Portico({ baseUrl: server.url + "/", apiKey: server.apiKey, fetch: recordingFetch });
});

after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `the server exited with ${code}:\n${server.log()}`);
});

describe("operations endpoints", () => {
  it("answers health, readiness, metrics and the OpenAPI document", async () => {
    assert.deepEqual(await portico.health(), { status: "ok" });
    assert.deepEqual(await portico.ready(), { status: "ready" });
    const doc = await portico.openapi();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok("/v1/users" in doc.paths);
    // The requests above are counted by now.
    assert.match(await portico.metrics(), /^portico_http_requests_total\{method="GET",route="GET \/healthz",status="200"\} 1$/m);
  });
});

describe("app", () => {
  it("reads and updates the app", async () => {
    const app = await portico.app.get();
    assert.equal(app.id, server.appId);
    assert.equal(app.name, "TypeScript tests");
    const updated = await portico.app.update({ settings: { allowed_redirect_uris: ["https://app.example.com/settings"] } });
    assert.deepEqual(updated.settings.allowed_redirect_uris, ["https://app.example.com/settings"]);
    assert.equal(updated.settings.mcp_max_result_bytes, 102400);
    assert.equal(updated.webhook_secret, undefined);
    assert.equal(updated.name, "TypeScript tests");
  });

  it("throws a typed error for a wrong key", async () => {
    const bad = new Portico({ baseUrl: server.url, apiKey: server.apiKey + "x", fetch: recordingFetch });
    const err = await rejection(bad.app.get());
    assert.equal(err.status, 401);
    assert.equal(err.code, "invalid_api_key");
    assert.match(err.requestId, /^req_/);
    assert.equal(err.name, "PorticoError");
    assert.ok(isPorticoError(err, "invalid_api_key"));
    assert.ok(!isPorticoError(err, "not_found"));
    const none = new Portico({ baseUrl: server.url, fetch: recordingFetch });
    assert.equal((await rejection(none.app.get())).code, "unauthenticated");
  });
});

describe("users", () => {
  it("finds or creates, reads, updates and erases users", async () => {
    const first = await portico.users.create({ external_id: "u-42", email: "Ann@Example.com", name: "Ann", metadata: { plan: "pro" } });
    assert.equal(first.created, true);
    assert.equal(first.user.email, "ann@example.com");
    assert.deepEqual(first.user.metadata, { plan: "pro" });
    const again = await portico.users.create({ external_id: "u-42", name: "Someone else" });
    assert.equal(again.created, false);
    assert.equal(again.user.id, first.user.id);
    assert.equal(again.user.name, "Ann");

    assert.equal((await portico.users.get(first.user.id)).external_id, "u-42");
    const renamed = await portico.users.update(first.user.id, { name: "Ann Smith" });
    assert.equal(renamed.name, "Ann Smith");
    const page = await portico.users.listPage({ external_id: "u-42" });
    assert.deepEqual(page.data.map((u) => u.id), [first.user.id]);
    assert.equal(page.next_page_token, null);

    const gone = await portico.users.create({ external_id: "u-gone" });
    await portico.users.delete(gone.user.id);
    const err = await rejection(portico.users.get(gone.user.id));
    assert.equal(err.status, 404);
    assert.equal(err.code, "not_found");
    assert.equal(err.message, `User "${gone.user.id}" not found.`);
    assert.deepEqual(err.details, { field: "id" });
  });

  it("iterates over every page of a list", async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await portico.users.create({ external_id: `page-${i}`, metadata: { batch: "pages" } })).user.id);
    const before = sent.length;
    const seen: User[] = [];
    for await (const u of portico.users.list({ page_size: 3 })) seen.push(u);
    const requests = sent.slice(before).filter((s) => s === "GET /v1/users").length;
    // Oldest first: the users made earlier, then these seven.
    assert.deepEqual(seen.filter((u) => u.external_id?.startsWith("page-")).map((u) => u.id), made);
    assert.equal(requests, Math.ceil(seen.length / 3), "one request per page");
    assert.equal(new Set(seen.map((u) => u.id)).size, seen.length, "no user twice");

    const pages = [];
    for await (const p of portico.users.list({ page_size: 3 }).pages()) pages.push(p.data.length);
    assert.deepEqual(pages.slice(0, -1).every((n) => n === 3), true);
    assert.equal(pages.reduce((a, b) => a + b), seen.length);

    // An early break stops fetching.
    const mark = sent.length;
    for await (const _ of portico.users.list({ page_size: 2 })) break;
    assert.equal(sent.length - mark, 1);

    // Starting from a page token goes on from there.
    const firstPage = await portico.users.listPage({ page_size: 3 });
    assert.ok(firstPage.next_page_token);
    const rest = await portico.users.list({ page_size: 3, page_token: firstPage.next_page_token }).toArray();
    assert.deepEqual([...firstPage.data, ...rest].map((u) => u.id), seen.map((u) => u.id));
  });

  it("names the field of an invalid request", async () => {
    const invalid = await rejection(portico.users.create({ email: "not an email" }));
    assert.equal(invalid.status, 422);
    assert.equal(invalid.code, "validation_failed");
    assert.equal(invalid.field, "email");
    assert.deepEqual(invalid.details, { field: "email" });
    assert.match(String(invalid), /^PorticoError: 422 validation_failed: .* \(field email\) \[request req_\w+\]$/);
    // A field the document does not know is refused by the types, and by the server.
    const unknown = await rejection(portico.users.create({ external_id: "u-45", nmae: "typo" } as never));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.code, "invalid_request");
    assert.equal(unknown.field, "nmae");
    const badPage = await rejection(portico.users.listPage({ page_size: 1000 }));
    assert.equal(badPage.code, "invalid_request");
  });
});

describe("accounts", () => {
  it("creates, lists, updates and deletes accounts and their members", async () => {
    const acme = await portico.accounts.create({ id: "acme-corp", name: "Acme Corp" });
    assert.equal(acme.id, "acme-corp");
    await portico.accounts.create({ name: "Globex" });
    const member = await portico.users.create({ external_id: "member-1", account_ids: ["acme-corp"] });
    assert.deepEqual(member.user.account_ids, ["acme-corp"]);
    const members = await portico.users.list({ account_id: "acme-corp" }).toArray();
    assert.deepEqual(members.map((u) => u.id), [member.user.id]);

    assert.equal((await portico.accounts.get("acme-corp")).name, "Acme Corp");
    assert.equal((await portico.accounts.update("acme-corp", { name: "Acme Inc" })).name, "Acme Inc");
    const all = await portico.accounts.list({ page_size: 1 }).toArray();
    assert.deepEqual(all.map((a) => a.name), ["Acme Inc", "Globex"]);
    assert.equal((await portico.accounts.listPage()).data.length, 2);
    const conflict = await rejection(portico.accounts.create({ id: "acme-corp", name: "Again" }));
    assert.equal(conflict.status, 409);
    assert.equal(conflict.code, "conflict");

    await portico.accounts.delete("acme-corp");
    assert.equal((await rejection(portico.accounts.get("acme-corp"))).code, "not_found");
    assert.deepEqual((await portico.users.get(member.user.id)).account_ids, []);
  });
});

describe("sessions", () => {
  it("creates, lists, extends, refreshes and revokes sessions", async () => {
    const created = await portico.sessions.create({
      user: { external_id: "s-1", name: "Sam" },
      ttl_seconds: 3600,
      refreshable: true,
      redirect_uri: "https://app.example.com/settings",
      theme: { name: "Acme", primary_color: "#7c3aed" },
      settings: { tools: { deny: ["github_*"], read_only: true } },
    });
    assert.match(created.token, /^pst_/);
    assert.match(created.mcp_url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.deepEqual(created.session.settings.tools, { allow: [], deny: ["github_*"], read_only: true });
    assert.match(created.refresh_token ?? "", /^prt_/);
    assert.match(created.configuration_url, /\/connect\/pcc_/);
    const id = created.session.id;
    assert.equal((await portico.sessions.get(id)).external_user_id, "s-1");
    const listed = await portico.sessions.list({ external_user_id: "s-1" }).toArray();
    assert.deepEqual(listed.map((s) => s.id), [id]);
    assert.equal((await portico.sessions.listPage({ user_id: created.session.user_id })).data.length, 1);

    const extended = await portico.sessions.extend(id, { ttl_seconds: 7200 });
    assert.ok(Date.parse(extended.expires_at) > Date.parse(created.session.expires_at));
    const tooLong = await rejection(portico.sessions.extend(id, { ttl_seconds: 9_999_999 }));
    assert.equal(tooLong.code, "validation_failed");
    assert.equal(tooLong.field, "ttl_seconds");
    assert.equal(typeof tooLong.details["max_ttl_seconds"], "number");

    const again = await portico.sessions.configurationUrl(id);
    assert.notEqual(again.configuration_url, created.configuration_url);
    assert.equal(again.session.id, id);

    // The user's side: the session token opens /v1/me.
    const user = portico.withSessionToken(created.token);
    const me = await user.me.get();
    assert.equal(me.user.external_id, "s-1");
    assert.equal(me.session.id, id);

    const rotated = await portico.sessions.refresh({ refresh_token: created.refresh_token ?? "" });
    assert.notEqual(rotated.token, created.token);
    const old = await rejection(user.me.get());
    assert.equal(old.status, 401);
    assert.equal(old.code, "invalid_token");
    const fresh = portico.withSessionToken(rotated.token);
    assert.equal((await fresh.me.get()).session.id, id);

    await portico.sessions.revoke(id);
    assert.equal((await rejection(fresh.me.get())).code, "invalid_token");

    await portico.sessions.create({ user: { external_id: "s-1" } });
    await portico.sessions.create({ user: { external_id: "s-1" } });
    assert.deepEqual(await portico.users.revokeSessions(created.session.user_id), { revoked: 2 });
  });

  it("confirms who opened a link when user verification is on", async () => {
    await portico.app.update({ settings: { user_verification_url: "https://app.example.com/verify" } });
    try {
      const flowOf = async (): Promise<string> => {
        const { configuration_url } = await portico.sessions.create({ user: { external_id: "v-1" } });
        const res = await fetch(configuration_url, { redirect: "manual" });
        assert.equal(res.status, 303);
        const flow = new URL(res.headers.get("location") ?? "").searchParams.get("flow");
        assert.ok(flow?.startsWith("vfl_"));
        return flow ?? "";
      };
      const flow = await flowOf();
      const { return_to } = await portico.verifications.confirm(flow, { user: { external_id: "v-1" } });
      assert.ok(return_to.includes("/connect/verified/"));
      assert.equal((await rejection(portico.verifications.confirm(flow, { user: { external_id: "v-1" } }))).status, 410);
      const other = await rejection(portico.verifications.confirm(await flowOf(), { user: { external_id: "v-2" } }));
      assert.equal(other.status, 403);
      assert.equal(other.details["reason"], "user_mismatch");
    } finally {
      await portico.app.update({ settings: { user_verification_url: null } });
    }
  });
});

describe("integrations, connections, tools and perform", () => {
  let upstream: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    upstream = await listen((_method, url, headers) => [200, JSON.stringify({ path: url, authorization: headers.authorization ?? null })]);
  });
  after(() => upstream.close());

  it("connects a user and performs for them", async () => {
    const github = await portico.integrations.put("github", {
      template: "github",
      auth: { oauth2: { client_id: "Iv1.abc", client_secret: "s3cr3t" } },
    });
    assert.equal(github.created, true);
    assert.equal(github.integration.auth.oauth2?.client_secret, "********");
    const echo = await portico.integrations.put("echo", {
      name: "Echo",
      base_url: upstream.url,
      auth: {
        type: "api_key",
        fields: [{ name: "api_key", label: "API key", secret: true }],
        inject: { header: "Authorization", format: "Bearer {api_key}" },
      },
      actions: [
        {
          name: "whoami",
          description: "Who the upstream sees.",
          method: "GET",
          path: "/me/{team}",
          input_schema: { type: "object", properties: { team: { type: "string" } }, required: ["team"] },
        },
      ],
    });
    assert.equal(echo.created, true);
    assert.equal((await portico.integrations.put("echo", { name: "Echo", base_url: upstream.url, auth: { type: "none" } })).created, false);
    await portico.integrations.put("echo", {
      name: "Echo",
      base_url: upstream.url,
      auth: {
        type: "api_key",
        fields: [{ name: "api_key", label: "API key", secret: true }],
        inject: { header: "Authorization", format: "Bearer {api_key}" },
      },
      actions: [{ name: "whoami", method: "GET", path: "/me/{team}", input_schema: { type: "object", properties: { team: { type: "string" } } } }],
    });
    assert.equal((await portico.integrations.get("echo")).name, "Echo");
    const slugs = (await portico.integrations.list({ page_size: 1 }).toArray()).map((i) => i.slug);
    assert.deepEqual(slugs.sort(), ["echo", "github"]);
    assert.equal((await portico.integrations.listPage()).data.length, 2);
    const crm = await portico.catalog.list({ category: "crm", page_size: 2 }).toArray();
    assert.ok(crm.length > 0 && crm.every((t) => t.category === "crm"), "the crm templates");
    assert.equal((await portico.catalog.listPage({ page_size: 3 })).data.length, 3);

    const { user } = await portico.users.create({ external_id: "agent-user" });
    const imported = await portico.connections.import(user.id, "echo", { api_key: "sk-test-123" });
    assert.equal(imported.created, true);
    assert.deepEqual(imported.connection.fields, ["api_key"]);
    assert.equal(imported.connection.status, "connected");
    assert.equal((await portico.connections.import(user.id, "echo", { api_key: "sk-test-456" })).created, false);
    assert.equal((await portico.connections.get(imported.connection.id)).integration, "echo");
    const mine = await portico.connections.list({ user_id: user.id }).toArray();
    assert.deepEqual(mine.map((c) => c.id), [imported.connection.id]);
    assert.equal((await portico.connections.listPage({ integration: "echo", status: "connected" })).data.length, 1);

    const tools = await portico.tools.list({ user_id: user.id });
    assert.ok(tools.some((t) => t.function.name === "echo_whoami" && t.integration === "echo" && t.action === "whoami"));
    const listRepos = (await portico.tools.list()).find((t) => t.function.name === "github_list_repos");
    assert.equal(listRepos?.integration, "github");
    assert.equal(listRepos?.action, "list-repos");

    const result = await portico.perform({ user: { external_id: "agent-user" }, integration: "echo", action: "whoami", input: { team: "core" } });
    assert.equal(result.status, "success");
    assert.equal(result.response?.status, 200);
    assert.deepEqual(result.response?.body, { path: "/me/core", authorization: "Bearer sk-test-456" });

    // No GitHub connection: connection_required, with where to connect.
    const err = await rejection(portico.perform({ user: { id: user.id }, integration: "github", action: "list-repos", input: {} }));
    assert.equal(err.status, 409);
    assert.ok(isConnectionRequired(err));
    assert.equal(err.details.integration, "github");
    assert.equal(err.details.reason, "missing");
    assert.match(err.details.configuration_url, /\/connect\/pcc_/);
    assert.ok(err.details.assistant_hint.length > 0);
    assert.ok(!isConnectionRequired(new PorticoError({ status: 404, code: "not_found", message: "" })));

    const invalid = await rejection(portico.perform({ user: { id: user.id }, integration: "echo", action: "whoami", input: { team: 5 } }));
    assert.equal(invalid.code, "validation_failed");
    assert.equal(invalid.field, "input.team");

    // A dry run sends nothing and shows the credential redacted.
    const dry = await portico.perform({ user: { id: user.id }, integration: "echo", action: "whoami", input: { team: "core" }, dry_run: true });
    assert.equal(dry.status, "dry_run");
    assert.equal(dry.request?.method, "GET");
    assert.match(dry.request?.url ?? "", /\/me\/core$/);
    assert.equal(dry.request?.headers["authorization"], "Bearer [REDACTED]");

    // The activity log, newest first: the dry run, then the calls before it.
    const rows = await portico.activity.list({ user_id: user.id, integration: "echo" }).toArray();
    assert.equal(rows[0]?.dry_run, true);
    assert.ok(rows.some((r) => r.outcome === "success" && !r.dry_run));
    const refused = await portico.activity.listPage({ outcome: "connection_required", page_size: 1 });
    assert.equal(refused.data[0]?.integration, "github");

    // The user's own side, with a session token.
    const session = await portico.sessions.create({ user: { external_id: "agent-user" } });
    const asUser = portico.withSessionToken(session.token);
    const own = await asUser.me.connections.list().toArray();
    assert.deepEqual(own.map((c) => c.id), [imported.connection.id]);
    assert.equal((await asUser.me.connections.listPage({ page_size: 1 })).data.length, 1);
    const disconnected = await asUser.me.connections.revoke(imported.connection.id);
    assert.equal(disconnected.status, "revoked");
    const ownActivity = await asUser.me.activity.list({ integration: "echo" }).toArray();
    assert.ok(ownActivity.length > 0 && ownActivity.every((r) => r.user_id === user.id));
    assert.equal((await asUser.me.activity.listPage({ page_size: 1 })).data.length, 1);

    const again = await portico.connections.import(user.id, "echo", { api_key: "sk-test-789" });
    const inUse = await rejection(portico.integrations.delete("echo"));
    assert.equal(inUse.status, 409);
    assert.equal(inUse.code, "conflict");
    assert.equal(inUse.details["connections"], 1);
    assert.equal(await portico.connections.revoke(again.connection.id), undefined);
    assert.equal((await portico.connections.get(again.connection.id)).status, "revoked");
    await portico.integrations.delete("echo");
    assert.equal((await rejection(portico.integrations.get("echo"))).code, "not_found");

    await portico.connections.import(user.id, "github", { access_token: "gho_test" });
    await portico.integrations.delete("github", { force: true });
    assert.equal((await rejection(portico.integrations.get("github"))).code, "not_found");
    assert.deepEqual((await portico.connections.listPage({ user_id: user.id, integration: "github" })).data, []);
  });

  it("makes actions of an OpenAPI document's operations", async () => {
    const document = {
      openapi: "3.1.0",
      info: { title: "Pets", version: "1" },
      paths: {
        "/pets/{petId}": {
          get: {
            operationId: "getPetById",
            summary: "Find a pet.",
            parameters: [
              { name: "petId", in: "path", required: true, schema: { type: "integer" } },
              { name: "fields", in: "query", schema: { type: "array", items: { type: "string" } } },
            ],
            responses: { "200": { description: "The pet." } },
          },
        },
      },
    };
    const { integration, created } = await portico.integrations.put("pets", {
      name: "Pets",
      base_url: upstream.url,
      auth: { type: "none" },
      openapi: { document, operations: ["getPetById"] },
    });
    assert.equal(created, true);
    assert.deepEqual(
      integration.actions.map((a) => [a.name, a.description, a.method, a.path, a.query]),
      [["get_pet_by_id", "Find a pet.", "GET", "/pets/{petId}", { fields: "fields" }]],
    );
    const result = await portico.perform({ user: { external_id: "pet-owner" }, integration: "pets", action: "get_pet_by_id", input: { petId: 7, fields: ["name", "tag"] } });
    assert.deepEqual(result.response?.body, { path: "/pets/7?fields=name&fields=tag", authorization: null });
    const refused = await rejection(portico.integrations.put("pets", { name: "Pets", base_url: upstream.url, auth: { type: "none" }, openapi: { document, operations: ["getPet"] } }));
    assert.equal(refused.code, "validation_failed");
    assert.equal(refused.details.field, "openapi.operations[0]");
    await portico.integrations.delete("pets");
  });
});

describe("webhooks", () => {
  it("verifies the deliveries the server signs", async () => {
    const deliveries: { signature: string; body: Buffer }[] = [];
    const receiver = await listen((_m, _u, headers, body) => {
      deliveries.push({ signature: String(headers["portico-signature"]), body });
      return [204, ""];
    });
    try {
      const app = await portico.app.update({ settings: { webhook_url: receiver.url + "/hooks" } });
      const secret = app.webhook_secret ?? "";
      assert.match(secret, /^whsec_/);
      await portico.sessions.create({ user: { external_id: "hooked" } });
      const deadline = Date.now() + 20_000;
      while (deliveries.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(deliveries.length >= 2, `${deliveries.length} deliveries`);

      const events = deliveries.map((d) => verifyWebhook({ secret, signature: d.signature, body: d.body }));
      assert.deepEqual(events.slice(0, 2).map((e) => e.type), ["user.created", "session.created"]);
      assert.equal(events[0]?.app_id, server.appId);
      assert.equal(events[0]?.data["external_id"], "hooked");
      // A string body verifies the same.
      const first = deliveries[0]!;
      assert.equal(verifyWebhook({ secret, signature: first.signature, body: first.body.toString("utf8") }).id, events[0]?.id);

      const refused = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          assert.ok(err instanceof WebhookVerificationError);
          return err.reason;
        }
        return "verified";
      };
      const tampered = Buffer.from(first.body.toString("utf8").replace("hooked", "hacked"));
      assert.equal(refused(() => verifyWebhook({ secret, signature: first.signature, body: tampered })), "signature");
      assert.equal(refused(() => verifyWebhook({ secret: secret + "x", signature: first.signature, body: first.body })), "signature");
      const later = new Date(Date.now() + 10 * 60_000);
      assert.equal(refused(() => verifyWebhook({ secret, signature: first.signature, body: first.body, now: later })), "expired");
      assert.equal(
        verifyWebhook({ secret, signature: first.signature, body: first.body, now: later, toleranceSeconds: 3600 }).id,
        events[0]?.id,
      );
      assert.equal(refused(() => verifyWebhook({ secret, signature: null, body: first.body })), "header");
    } finally {
      await portico.app.update({ settings: { webhook_url: null } });
      await receiver.close();
    }
  });
});

describe("errors that are not Portico's", () => {
  it("keeps the status of an answer without the envelope", async () => {
    const proxy = await listen(() => [502, "Bad Gateway from a proxy"]);
    try {
      const behind = new Portico({ baseUrl: proxy.url, apiKey: "pk_x" });
      const err = await rejection(behind.app.get());
      assert.equal(err.status, 502);
      assert.equal(err.code, "");
      assert.equal(err.message, "Bad Gateway");
    } finally {
      await proxy.close();
    }
  });
});

describe("generated types", () => {
  it("are what the generator makes of the served OpenAPI document", async () => {
    const generator = join(packageDir, "scripts", "generate.mjs");
    const { generate } = (await import(pathToFileURL(generator).href)) as typeof import("../scripts/generate.mjs");
    const fresh = await generate(await portico.openapi());
    const committed = readFileSync(join(packageDir, "src", "openapi.ts"), "utf8");
    assert.ok(fresh === committed, "src/openapi.ts is stale: run `npm run generate` in clients/typescript and commit it");
  });
});

describe("coverage", () => {
  it("called every operation of the served OpenAPI document", async () => {
    const doc = (await portico.openapi()) as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const re = new RegExp("^" + path.replace(/\{[^}]+\}/g, "[^/]+") + "$");
      for (const method of Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))) {
        operations++;
        const m = method.toUpperCase();
        if (!sent.some((s) => s.startsWith(m + " ") && re.test(s.slice(m.length + 1)))) missing.push(`${m} ${path}`);
      }
    }
    assert.ok(operations >= 37, `${operations} operations`);
    assert.deepEqual(missing, [], "operations the client never called");
  });
});
