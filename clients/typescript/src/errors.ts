import type { components } from "./openapi.js";

/** A stable error code of the API (docs/openapi.json, ErrorCode). */
export type ErrorCode = components["schemas"]["ErrorCode"];

/**
 * The details of a 409 `connection_required` answer of `perform`: where to
 * send the user to connect the integration, and a hint an agent can relay
 * as it is.
 */
export interface ConnectionRequiredDetails {
  integration: string;
  /** Why no connection is usable. */
  reason: "missing" | "expired" | "revoked";
  configuration_url: string;
  configuration_url_expires_at: string;
  assistant_hint: string;
  [key: string]: unknown;
}

/**
 * A non-2xx answer of the server. `code` is the stable code of the error
 * envelope (`"not_found"`, `"validation_failed"`, …; a newer server may
 * answer codes this version does not list); it is `""` when the body was
 * not Portico's envelope (an answer of a proxy in front of it).
 */
export class PorticoError extends Error {
  override readonly name = "PorticoError";
  /** The HTTP status. */
  readonly status: number;
  /** The stable, machine-readable code. */
  readonly code: ErrorCode | (string & {});
  /** Extra facts; `details.field` names the offending input field. */
  readonly details: Record<string, unknown>;
  /** The request's id, as the server's log shows it. */
  readonly requestId: string;
  /** Seconds the server asked to wait before retrying (429, 503), if it said. */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    code: ErrorCode | (string & {});
    message: string;
    details?: Record<string, unknown> | undefined;
    requestId?: string | undefined;
    retryAfter?: number | undefined;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? "";
    this.retryAfter = init.retryAfter;
  }

  /** `details.field`: the input field an invalid request names, or `""`. */
  get field(): string {
    const f = this.details["field"];
    return typeof f === "string" ? f : "";
  }

  override toString(): string {
    let s = `PorticoError: ${this.status}`;
    if (this.code) s += ` ${this.code}`;
    if (this.message) s += `: ${this.message}`;
    if (this.field) s += ` (field ${this.field})`;
    if (this.requestId) s += ` [request ${this.requestId}]`;
    return s;
  }
}

/** Whether `err` is a PorticoError, with the given code when one is named. */
export function isPorticoError<C extends ErrorCode>(err: unknown, code?: C): err is PorticoError & { code: C } {
  return err instanceof PorticoError && (code === undefined || err.code === code);
}

/**
 * Whether `err` is the 409 `connection_required` of `perform`, whose
 * details say where the user connects the integration.
 */
export function isConnectionRequired(
  err: unknown,
): err is PorticoError & { code: "connection_required"; details: ConnectionRequiredDetails } {
  return isPorticoError(err, "connection_required");
}

/** Reads the error envelope of a non-2xx answer. */
export async function errorFrom(res: Response): Promise<PorticoError> {
  const header = res.headers.get("retry-after");
  const seconds = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The status alone still says what happened.
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = undefined;
  }
  const e = (envelope as { error?: Partial<components["schemas"]["Error"]> } | undefined)?.error;
  const code: string | undefined = e?.code;
  if (e && typeof code === "string" && code !== "") {
    return new PorticoError({
      status: res.status,
      code,
      message: typeof e.message === "string" ? e.message : "",
      details: e.details && typeof e.details === "object" ? (e.details as Record<string, unknown>) : {},
      requestId: e.request_id || res.headers.get("x-request-id") || "",
      retryAfter: seconds,
    });
  }
  return new PorticoError({
    status: res.status,
    code: "",
    message: res.statusText || `HTTP ${res.status}`,
    requestId: res.headers.get("x-request-id") ?? "",
    retryAfter: seconds,
  });
}
