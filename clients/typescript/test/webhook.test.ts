// verifyWebhook on deliveries signed here, as docs/webhooks.md describes
// them; client.test.ts verifies the server's own deliveries.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { signWebhook, verifyWebhook, WebhookVerificationError, type WebhookErrorReason } from "@porticohq/portico";

const secret = "whsec_test";
const body = JSON.stringify({ id: "evt_1", type: "user.created", created_at: "2030-01-02T03:04:05Z", app_id: "app_1", data: { id: "usr_1" } });
const t = 1_893_553_445;
const at = new Date(t * 1000);
const hex = (s: string, b = body) => createHmac("sha256", s).update(`${t}.${b}`).digest("hex");

function reason(f: () => unknown): WebhookErrorReason | "verified" {
  try {
    f();
    return "verified";
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError);
    assert.equal(err.name, "WebhookVerificationError");
    return err.reason;
  }
}

describe("verifyWebhook", () => {
  it("accepts the signature of the documented example", () => {
    // docs/webhooks.md: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">.
    assert.equal(signWebhook(secret, body, t), `t=${t},v1=${hex(secret)}`);
    const event = verifyWebhook({ secret, signature: `t=${t},v1=${hex(secret)}`, body, now: at });
    assert.deepEqual(event, JSON.parse(body));
    assert.equal(verifyWebhook({ secret, signature: `t=${t},v1=${hex(secret)}`, body: Buffer.from(body), now: at }).type, "user.created");
  });

  it("accepts any of several v1 signatures, in any order", () => {
    const other = hex("whsec_other");
    assert.equal(reason(() => verifyWebhook({ secret, signature: `t=${t},v1=${other},v1=${hex(secret)}`, body, now: at })), "verified");
    assert.equal(reason(() => verifyWebhook({ secret, signature: `v1=${hex(secret)}, t=${t}`, body, now: at })), "verified");
    assert.equal(reason(() => verifyWebhook({ secret, signature: `t=${t},v0=abc,v1=${hex(secret)}`, body, now: at })), "verified");
  });

  it("refuses a wrong secret, body or signature", () => {
    const sig = `t=${t},v1=${hex(secret)}`;
    assert.equal(reason(() => verifyWebhook({ secret: "whsec_wrong", signature: sig, body, now: at })), "signature");
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body: body + " ", now: at })), "signature");
    assert.equal(reason(() => verifyWebhook({ secret, signature: `t=${t + 1},v1=${hex(secret)}`, body, now: at })), "signature");
    assert.equal(reason(() => verifyWebhook({ secret, signature: `t=${t},v1=${"0".repeat(64)}`, body, now: at })), "signature");
  });

  it("refuses a malformed header", () => {
    for (const header of ["", null, undefined, `v1=${hex(secret)}`, `t=${t}`, `t=abc,v1=${hex(secret)}`, `t=${t},v1=xyz`, `t=${t};v1=${hex(secret)}`, "garbage"]) {
      assert.equal(reason(() => verifyWebhook({ secret, signature: header, body, now: at })), "header", String(header));
    }
  });

  it("refuses a timestamp outside the tolerance", () => {
    const sig = `t=${t},v1=${hex(secret)}`;
    const after = (s: number) => new Date((t + s) * 1000);
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body, now: after(300) })), "verified");
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body, now: after(301) })), "expired");
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body, now: after(-301) })), "expired");
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body, now: after(3000), toleranceSeconds: 3600 })), "verified");
    assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body, now: after(61), toleranceSeconds: 60 })), "expired");
  });

  it("refuses a signed body that is not an event", () => {
    for (const b of ["not json", "{}", '{"id":"evt_1"}', '{"type":"user.created"}', "[]", "null"]) {
      const sig = `t=${t},v1=${hex(secret, b)}`;
      assert.equal(reason(() => verifyWebhook({ secret, signature: sig, body: b, now: at })), "body", b);
    }
  });
});
