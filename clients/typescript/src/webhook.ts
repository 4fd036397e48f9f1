import { createHmac, timingSafeEqual } from "node:crypto";

/** The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = "Portico-Signature";
/** The header that repeats the event's id, to deduplicate before parsing. */
export const WEBHOOK_EVENT_ID_HEADER = "Portico-Event-Id";
/** How far, in seconds, a signature's timestamp may be from the receiver's clock by default. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** The type of a webhook event (docs/webhooks.md). */
export type WebhookEventType =
  | "user.created"
  | "session.created"
  | "session.revoked"
  | "connection.created"
  | "connection.updated"
  | "connection.revoked"
  | "connection.refresh_failed"
  | "connection.expired"
  | "connection.recovered";

/**
 * The body of a delivery. `data` is the object the event is about, as the
 * API shows it (a user, a session without tokens, a connection without
 * credentials); the refresh events add `reason`.
 */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType | (string & {});
  created_at: string;
  app_id: string;
  data: Record<string, unknown>;
}

/** Why a delivery was refused. */
export type WebhookErrorReason = "header" | "signature" | "expired" | "body";

/** A delivery that did not verify. */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  readonly reason: WebhookErrorReason;
  constructor(reason: WebhookErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface VerifyWebhookOptions {
  /** The `webhook_secret` (`whsec_…`) that `PATCH /v1/app` returned. */
  secret: string;
  /** The `Portico-Signature` header. */
  signature: string | null | undefined;
  /** The raw body, byte for byte as received: verify before parsing. */
  body: string | Uint8Array;
  /** Seconds the timestamp may be from now; default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock (tests). */
  now?: Date;
}

/**
 * Verifies a webhook delivery and returns its event; throws a
 * WebhookVerificationError otherwise. The signature must be the
 * HMAC-SHA256, keyed with the secret, of `<t>.<body>`, compared in constant
 * time; any of several `v1=` values may match. The timestamp must be within
 * the tolerance of now, which stops replays of an old delivery. A verified
 * event may still arrive twice (delivery is at least once): deduplicate by
 * its `id`.
 */
export function verifyWebhook(opts: VerifyWebhookOptions): WebhookEvent {
  const tolerance = opts.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  let ts: string | undefined;
  const sigs: Buffer[] = [];
  for (const part of (opts.signature ?? "").split(",")) {
    const i = part.indexOf("=");
    if (i < 0) throw new WebhookVerificationError("header", "malformed Portico-Signature header");
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === "t") ts = v;
    else if (k === "v1" && /^[0-9a-fA-F]{64}$/.test(v)) sigs.push(Buffer.from(v, "hex"));
  }
  if (ts === undefined || !/^\d+$/.test(ts) || sigs.length === 0) {
    throw new WebhookVerificationError("header", "malformed Portico-Signature header");
  }
  const body = typeof opts.body === "string" ? Buffer.from(opts.body, "utf8") : Buffer.from(opts.body);
  const want = createHmac("sha256", opts.secret).update(`${ts}.`).update(body).digest();
  let matched = false;
  for (const sig of sigs) {
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (timingSafeEqual(sig, want)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError("signature", "no signature matches");
  const now = (opts.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - Number(ts)) > tolerance) {
    throw new WebhookVerificationError("expired", "timestamp outside the tolerance");
  }
  let event: unknown;
  try {
    event = JSON.parse(body.toString("utf8"));
  } catch {
    event = undefined;
  }
  const e = event as Partial<WebhookEvent> | undefined;
  if (!e || typeof e !== "object" || typeof e.id !== "string" || !e.id || typeof e.type !== "string" || !e.type) {
    throw new WebhookVerificationError("body", "body is not an event");
  }
  return e as WebhookEvent;
}

/**
 * Signs a body as Portico does, for the receivers' own tests: returns the
 * `Portico-Signature` header value for timestamp `t` (unix seconds).
 */
export function signWebhook(secret: string, body: string | Uint8Array, t: number = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
  return `t=${t},v1=${mac}`;
}
