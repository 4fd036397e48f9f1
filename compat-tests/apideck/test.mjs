// Drives Portico's Apideck Vault surface with the official Apideck
// TypeScript SDK (@apideck/unify): sessions, consumers, connections and
// logs, and the hosted page the session settings shape.
// The SDK validates every answer against the Vault's schemas, so a wrong
// field or envelope fails here. Exits non-zero on the first failure.
//
// Needs PORTICO_URL, PORTICO_API_KEY and PORTICO_APP_ID (compat-tests/run
// sets them).
import assert from "node:assert/strict";
import { Apideck } from "@apideck/unify";
import * as errors from "@apideck/unify/models/errors/index.js";

const url = need("PORTICO_URL");
const apiKey = need("PORTICO_API_KEY");
const appId = need("PORTICO_APP_ID");
// A consumer of its own per run, so that runs against one server do not
// meet.
const consumerId = `sdk-consumer-${Date.now()}`;

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return v;
}

// native calls Portico's own API: the Vault has no call that creates
// integrations, and the session's redirect URI must be allowed first.
async function native(method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  }
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

await step("setup through the native API", async () => {
  await native("PATCH", "/v1/app", { settings: { allowed_redirect_uris: ["https://mysaas.com/dashboard"] } });
  await native("PUT", "/v1/integrations/pipedrive", {
    name: "Pipedrive", category: "crm", base_url: "https://api.pipedrive.com",
    auth: {
      type: "api_key", fields: [{ name: "api_key", label: "API key", secret: true }],
      inject: { header: "Authorization", format: "Bearer {api_key}" },
    },
  });
  await native("PUT", "/v1/integrations/dropbox", {
    name: "Dropbox", category: "file-storage", base_url: "https://api.dropboxapi.com", auth: { type: "none" },
  });
});

const apideck = new Apideck({ apiKey, appId, consumerId, serverURL: url, retryConfig: { strategy: "none" } });

await step("vault.sessions.create with the documented example", async () => {
  const res = await apideck.vault.sessions.create({
    session: {
      consumerMetadata: {
        accountName: "SpaceX", userName: "Elon Musk", email: "elon@musk.com",
        image: "https://www.spacex.com/static/images/share.jpg",
      },
      redirectUri: "https://mysaas.com/dashboard",
      settings: {
        unifiedApis: ["crm"], hideResourceSettings: false, sandboxMode: false, isolationMode: false,
        sessionLength: "30m", showLogs: true, showSuggestions: false, showSidebar: true, autoRedirect: false,
        hideGuides: false, allowActions: ["delete"],
      },
      theme: {
        favicon: "https://res.cloudinary.com/apideck/icons/intercom",
        logo: "https://res.cloudinary.com/apideck/icons/intercom",
        primaryColor: "#286efa", sidepanelBackgroundColor: "#286efa", sidepanelTextColor: "#FFFFFF",
        vaultName: "Intercom", privacyUrl: "https://compliance.apideck.com/privacy-policy",
        termsUrl: "https://www.termsfeed.com/terms-conditions/957c85c1b089ae9e3219c83eff65377e",
      },
      customConsumerSettings: { feature_flag_1: true, tax_rates: [{ id: "6", label: "6%" }, { id: "21", label: "21%" }] },
    },
  });
  const body = res.createSessionResponse;
  assert.equal(body.statusCode, 200);
  assert.equal(body.status, "OK");
  assert.ok(body.data.sessionUri.startsWith(`${url}/connect/`), body.data.sessionUri);
  assert.match(body.data.sessionToken, /^pst_/);
  // The session_uri opens the hosted page, which lists the CRM only.
  const page = await fetch(body.data.sessionUri, { redirect: "manual" });
  assert.equal(page.status, 303);
  const cookie = page.headers.get("set-cookie").split(";")[0];
  const html = await (await fetch(new URL(page.headers.get("location"), url), { headers: { cookie } })).text();
  assert.ok(html.includes('id="integration-pipedrive"'), "the page lists pipedrive");
  assert.ok(!html.includes('id="integration-dropbox"'), "the page does not list dropbox");
});

await step("vault.consumers.create, get and update", async () => {
  const other = `${consumerId}-b`;
  const created = await apideck.vault.consumers.create({
    createConsumerRequest: {
      consumerId: other,
      metadata: { accountName: "SpaceX", userName: "Elon Musk", email: "elon@musk.com", image: "https://www.spacex.com/static/images/share.jpg" },
    },
  });
  assert.equal(created.createConsumerResponse.data.consumerId, other);
  assert.equal(created.createConsumerResponse.data.applicationId, appId);
  assert.equal(created.createConsumerResponse.data.metadata.accountName, "SpaceX");

  const got = await apideck.vault.consumers.get({ consumerId });
  const c = got.getConsumerResponse.data;
  assert.equal(c.consumerId, consumerId);
  assert.equal(c.metadata.userName, "Elon Musk");
  assert.deepEqual(c.connections, []);

  const updated = await apideck.vault.consumers.update({
    consumerId: other,
    updateConsumerRequest: { metadata: { accountName: "Tesla" } },
  });
  assert.equal(updated.updateConsumerResponse.data.metadata.accountName, "Tesla");
  assert.equal(updated.updateConsumerResponse.data.metadata.userName, "Elon Musk");
});

await step("vault.consumers.list page by page", async () => {
  const seen = [];
  const result = await apideck.vault.consumers.list({ limit: 1 });
  for await (const page of result) {
    const body = page.getConsumersResponse;
    assert.equal(body.statusCode, 200);
    assert.equal(body.meta.itemsOnPage, body.data.length);
    seen.push(...body.data.map((c) => c.consumerId));
  }
  assert.ok(seen.includes(consumerId) && seen.includes(`${consumerId}-b`), `listed ${seen}`);
  assert.equal(new Set(seen).size, seen.length, "no consumer listed twice");
});

await step("vault.connections.list, update, get and delete", async () => {
  let res = await apideck.vault.connections.list({ api: "crm" });
  const listed = res.getConnectionsResponse.data;
  assert.deepEqual(listed.map((c) => c.id), ["crm+pipedrive"]);
  assert.equal(listed[0].state, "available");
  assert.equal(listed[0].authType, "apiKey");
  assert.equal(listed[0].formFields[0].id, "api_key");

  res = await apideck.vault.connections.update({
    unifiedApi: "crm", serviceId: "pipedrive", connection: { settings: { api_key: "sk-sdk-test-key" } },
  });
  const updated = res.updateConnectionResponse.data;
  assert.equal(updated.state, "callable");
  assert.equal(updated.enabled, true);
  assert.ok(!JSON.stringify(updated).includes("sk-sdk-test-key"), "the answer does not show the key");

  res = await apideck.vault.connections.get({ unifiedApi: "crm", serviceId: "pipedrive" });
  assert.equal(res.getConnectionResponse.data.state, "callable");
  assert.equal(typeof res.getConnectionResponse.data.createdAt, "number");

  const consumer = await apideck.vault.consumers.get({ consumerId });
  assert.deepEqual(consumer.getConsumerResponse.data.services, ["pipedrive"]);
  assert.equal(consumer.getConsumerResponse.data.connections[0].state, "callable");

  res = await apideck.vault.connections.list({});
  assert.deepEqual(res.getConnectionsResponse.data.map((c) => c.id).sort(), ["crm+pipedrive", "file-storage+dropbox"]);

  const deleted = await apideck.vault.connections.delete({ unifiedApi: "crm", serviceId: "pipedrive" });
  assert.equal(deleted.httpMeta.response.status, 204);
  res = await apideck.vault.connections.get({ unifiedApi: "crm", serviceId: "pipedrive" });
  assert.equal(res.getConnectionResponse.data.state, "available");
});

await step("errors come back as the SDK's typed errors", async () => {
  await assert.rejects(apideck.vault.consumers.get({ consumerId: "nobody-at-all" }), (err) => {
    assert.ok(err instanceof errors.NotFoundResponse, `got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.typeName, "EntityNotFoundError");
    assert.equal(err.statusCode, 404);
    return true;
  });
  await assert.rejects(
    apideck.vault.sessions.create({ session: { settings: { sessionLength: "8d" } } }),
    (err) => {
      assert.ok(err instanceof errors.UnprocessableResponse, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.typeName, "InvalidStateError");
      return true;
    },
  );
  await assert.rejects(
    apideck.vault.connections.update({ unifiedApi: "crm", serviceId: "pipedrive", connection: { enabled: false } }),
    (err) => err instanceof errors.UnprocessableResponse,
  );
  const stranger = new Apideck({ apiKey: "pk_not_a_key", appId, consumerId, serverURL: url, retryConfig: { strategy: "none" } });
  await assert.rejects(stranger.vault.consumers.get({ consumerId }), (err) => {
    assert.ok(err instanceof errors.UnauthorizedResponse, `got ${err?.constructor?.name}: ${err}`);
    return true;
  });
});

await step("vault.logs.list page by page, newest first", async () => {
  // A perform for the consumer, whose connection was just deleted: an
  // activity row with outcome connection_required.
  const res = await fetch(url + "/v1/perform", {
    method: "POST",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ user: { external_id: consumerId }, integration: "pipedrive", request: { method: "GET", path: "/v1/deals" } }),
  });
  assert.equal(res.status, 409);
  const logs = [];
  const result = await apideck.vault.logs.list({ limit: 2 });
  for await (const page of result) {
    const body = page.getLogsResponse;
    assert.equal(body.statusCode, 200);
    assert.equal(body.meta.itemsOnPage, body.data.length);
    logs.push(...body.data);
  }
  assert.equal(new Set(logs.map((l) => l.id)).size, logs.length, "no log listed twice");
  const ops = logs.map((l) => l.operation.id);
  for (const op of ["session.created", "connection.created", "connection.revoked"]) {
    assert.ok(ops.includes(op), `${op} in ${ops}`);
  }
  const perform = logs[0];
  assert.equal(perform.path, "/v1/deals");
  assert.equal(perform.httpMethod, "GET");
  assert.equal(perform.statusCode, 409);
  assert.equal(perform.success, false);
  assert.equal(perform.errorMessage, "connection required");
  assert.equal(perform.unifiedApi, "crm");
  assert.equal(perform.service.id, "pipedrive");
  assert.equal(perform.consumerId, consumerId);
  for (let i = 1; i < logs.length; i++) {
    assert.ok(logs[i - 1].timestamp >= logs[i].timestamp, "newest first");
  }
  const later = await apideck.vault.logs.list({ filter: { startDate: new Date(Date.now() + 3600_000) } });
  assert.deepEqual(later.getLogsResponse.data, []);
});

// openPage opens a session's hosted page as a browser would (the link sets
// the page cookie) and returns a function that fetches a page of it.
async function openPage(sessionUri) {
  const res = await fetch(sessionUri, { redirect: "manual" });
  assert.equal(res.status, 303, `opening ${sessionUri}`);
  const cookie = res.headers.get("set-cookie").split(";")[0];
  return async (path, want = 200) => {
    const page = await fetch(url + path, { headers: { cookie }, redirect: "manual" });
    assert.equal(page.status, want, `GET ${path}`);
    return page.text();
  };
}

// pageWith creates a session with these Vault settings and opens its page.
async function pageWith(settings) {
  const res = await apideck.vault.sessions.create({ session: { settings } });
  return openPage(res.createSessionResponse.data.sessionUri);
}

await step("the five page settings change the hosted page", async () => {
  await native("PUT", "/v1/integrations/compatdesk", {
    name: "Compatdesk", category: "ticketing", base_url: "https://{subdomain}.compatdesk.example",
    settings_fields: [{ name: "subdomain", label: "Workspace" }],
    guide: { steps: ["Open Settings, then API.", "Create a key."], url: "https://compatdesk.example/docs/keys" },
    auth: {
      type: "api_key", fields: [{ name: "api_key", label: "API key", secret: true }],
      inject: { header: "X-Api-Key", format: "{api_key}" },
    },
  });
  // Each setting, the mark of the part it shows or hides, the page, and
  // whether the part is shown when the setting is left out.
  const cases = [
    ["showSidebar", '<nav class="cats"', "/connect/", true],
    ["showLogs", 'href="/connect/activity"', "/connect/", true],
    ["showSuggestions", 'id="suggest"', "/connect/", false],
    ["hideGuides", 'class="card guide"', "/connect/integrations/compatdesk", true],
    ["hideResourceSettings", 'id="settings-title"', "/connect/integrations/compatdesk", true],
  ];
  // The consumer connects once, on the page, so that its connection's
  // settings have something to show.
  const created = await apideck.vault.sessions.create({ session: {} });
  const opened = await fetch(created.createSessionResponse.data.sessionUri, { redirect: "manual" });
  const cookie = opened.headers.get("set-cookie").split(";")[0];
  const formPage = await (await fetch(url + "/connect/integrations/compatdesk", { headers: { cookie } })).text();
  const posted = await fetch(url + "/connect/integrations/compatdesk", {
    method: "POST", redirect: "manual",
    headers: { cookie, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf_token: /name="csrf_token" value="([^"]+)"/.exec(formPage)[1], api_key: "ck_123", subdomain: "north" }),
  });
  assert.equal(posted.status, 303, "connecting on the page");
  assert.match(posted.headers.get("location"), /notice=connected/);

  for (const [setting, marker, path, byDefault] of cases) {
    // "show" settings show the part when true; "hide" settings when false.
    const shows = (on) => (setting.startsWith("hide") ? !on : on);
    for (const on of [true, false]) {
      const get = await pageWith({ [setting]: on });
      const html = await get(path);
      assert.equal(html.includes(marker), shows(on), `${setting}: ${on} → ${marker} ${shows(on) ? "shown" : "hidden"}`);
    }
    const html = await (await pageWith({}))(path);
    assert.equal(html.includes(marker), byDefault, `${setting} left out → ${marker} ${byDefault ? "shown" : "hidden"}`);
  }
  // Without the activity, its page is gone too.
  await (await pageWith({ showLogs: false }))("/connect/activity", 404);
});

await step("vault.consumers.delete", async () => {
  for (const id of [consumerId, `${consumerId}-b`]) {
    const res = await apideck.vault.consumers.delete({ consumerId: id });
    assert.equal(res.deleteConsumerResponse.data.consumerId, id);
  }
  await assert.rejects(apideck.vault.consumers.get({ consumerId }), (err) => err instanceof errors.NotFoundResponse);
});
