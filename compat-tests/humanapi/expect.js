// Loaded before a sample (node -r ./expect.js sample-….js): checks what the
// sample logs against the documented answer named by EXPECT, and makes the
// process fail when it does not match, when the sample reports an error,
// or when it logs nothing.
"use strict";
const assert = require("node:assert/strict");

const shapes = {
  // {"session_token", "human_id", "expires_in": 3600}
  session(d) {
    assert.deepEqual(Object.keys(d).sort(), ["expires_in", "human_id", "session_token"]);
    assert.equal(typeof d.session_token, "string");
    assert.ok(d.session_token.length > 0);
    assert.match(d.human_id, /^[0-9a-f]{32}$/);
    assert.equal(d.expires_in, 3600);
  },
  // {"token_type": "Bearer", "id_token", "id_refresh_token", "id_token_expires_in": 86400}
  id(d) {
    assert.deepEqual(Object.keys(d).sort(), ["id_refresh_token", "id_token", "id_token_expires_in", "token_type"]);
    assert.equal(d.token_type, "Bearer");
    assert.equal(typeof d.id_token, "string");
    assert.equal(typeof d.id_refresh_token, "string");
    assert.equal(d.id_token_expires_in, 86400);
  },
  // A session token for a user who has connected a source: 403.
  session_refused(d) {
    assert.deepEqual(d, {
      statusCode: 403,
      errorCode: "SESSION_TOKEN_GENERATION_NOT_ALLOWED",
      message: d.message,
    });
    assert.equal(typeof d.message, "string");
  },
};

const expect = process.env.EXPECT;
if (!shapes[expect]) {
  throw new Error("EXPECT must be one of " + Object.keys(shapes).join(", "));
}
let logged = 0;
const log = console.log.bind(console);
console.log = (...args) => {
  logged++;
  try {
    assert.equal(args.length, 1);
    shapes[expect](args[0]);
    log(expect + ": the answer has the documented shape");
    // The tokens are secrets: the next step reads them from this file,
    // never from the output.
    if (process.env.ANSWER_FILE) {
      require("node:fs").writeFileSync(process.env.ANSWER_FILE, JSON.stringify(args[0]), { mode: 0o600 });
    }
  } catch (err) {
    process.exitCode = 1;
    // Not err.message: it would print the tokens.
    const d = args[0] && typeof args[0] === "object" ? args[0] : {};
    log(expect + ": the answer does not have the documented shape; its fields: " +
      Object.entries(d).map(([k, v]) => k + " (" + typeof v + ")").join(", "));
  }
};
const error = console.error.bind(console);
console.error = (...args) => {
  process.exitCode = 1;
  error(...args);
};
process.on("exit", () => {
  if (logged !== 1) {
    error("the sample logged " + logged + " answers, expected one");
    process.exitCode = 1;
  }
});
