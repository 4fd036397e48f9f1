// Steps around the samples, through Portico's native API (Node 20's fetch):
//   node portico.js connect <client_user_id>   give the user a connection
//   node portico.js check-session <file>        the session token works
//   node portico.js check-id <file>             the id token and its refresh token work
// <file> holds the answer a sample logged. Exits non-zero on failure.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");

const base = process.env.PORTICO_URL;
const key = process.env.PORTICO_API_KEY;

async function call(method, path, { token = key, body, form } = {}) {
  const init = { method, headers: { Authorization: "Bearer " + token }, redirect: "manual" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (form !== undefined) {
    delete init.headers.Authorization;
    init.body = new URLSearchParams(form);
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text };
}

async function connect(userID) {
  let r = await call("PUT", "/v1/integrations/openai", { body: { template: "openai" } });
  assert.ok(r.status === 200 || r.status === 201, "PUT /v1/integrations/openai: " + r.status);
  r = await call("GET", "/v1/users?external_id=" + encodeURIComponent(userID));
  assert.equal(r.status, 200);
  assert.equal(r.body.data.length, 1, "the sample created the user");
  r = await call("PUT", "/v1/users/" + r.body.data[0].id + "/connections/openai", { body: { credentials: { api_key: "sk-compat-test" } } });
  assert.equal(r.status, 201, "import a connection: " + r.status);
  console.log("connect: " + userID + " has a connection");
}

async function checkSession(file) {
  const answer = JSON.parse(fs.readFileSync(file, "utf8"));
  let r = await call("GET", "/v1/me", { token: answer.session_token });
  assert.equal(r.status, 200, "GET /v1/me with the session token: " + r.status);
  assert.equal(r.body.user.external_id, process.env.CLIENT_USER_ID);
  r = await call("POST", "/connect/open", { form: { token: answer.session_token } });
  assert.equal(r.status, 303, "POST /connect/open: " + r.status);
  assert.equal(r.headers.get("location"), "/connect/");
  console.log("check-session: the session token validates and opens the hosted page");
}

async function checkID(file) {
  const answer = JSON.parse(fs.readFileSync(file, "utf8"));
  let r = await call("GET", "/v1/me", { token: answer.id_token });
  assert.equal(r.status, 200, "GET /v1/me with the id token: " + r.status);
  assert.equal(r.body.user.external_id, process.env.CLIENT_USER_ID);
  r = await call("POST", "/v1/tokens/refresh", { body: { refresh_token: answer.id_refresh_token } });
  assert.equal(r.status, 200, "POST /v1/tokens/refresh with the id refresh token: " + r.status);
  console.log("check-id: the id token validates and its refresh token rotates");
}

const [cmd, arg] = process.argv.slice(2);
const steps = { connect, "check-session": checkSession, "check-id": checkID };
if (!steps[cmd] || !arg) {
  console.error("usage: node portico.js connect|check-session|check-id <arg>");
  process.exit(2);
}
steps[cmd](arg).catch((err) => {
  console.error(cmd + ": " + err.message);
  process.exit(1);
});
