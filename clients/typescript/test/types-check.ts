// Compiled, not run: each line marked @ts-expect-error must be refused by
// the types generated from the OpenAPI document (tsc fails on a marked line
// that compiles), and the lines without it must compile.
import type { Portico, UserCreate, Session, PorticoError } from "@porticohq/portico";

declare const portico: Portico;

// @ts-expect-error: a user is found or made by external_id or email.
export const nameOnly: UserCreate = { name: "Ann" };
export const byEmail: UserCreate = { email: "ann@example.com" };

// @ts-expect-error: a misspelt field.
export const typo = portico.users.create({ external_id: "u-1", nmae: "Ann" });
// @ts-expect-error: ttl_seconds is a number.
export const ttl = portico.sessions.extend("ses_1", { ttl_seconds: "60" });
// @ts-expect-error: list filters are those of the operation.
export const filter = portico.users.list({ externalId: "u-1" });
// @ts-expect-error: a connection's status is one of the documented ones.
export const status = portico.connections.list({ status: "gone" });
// @ts-expect-error: perform names an integration.
export const perform = portico.perform({ user: { id: "usr_1" }, action: "x" });
// @ts-expect-error: a session's tools setting has no "only" field.
export const tools = portico.sessions.create({ user: { external_id: "u-1" }, settings: { tools: { only: ["github_*"] } } });
// @ts-expect-error: page_size is a number.
export const size = portico.accounts.listPage({ page_size: "10" });

export async function answers(): Promise<void> {
  const session: Session = (await portico.sessions.create({ user: { external_id: "u-1" } })).session;
  // @ts-expect-error: sessions are answered without their token.
  session.token.length;
  for await (const user of portico.users.list()) {
    // @ts-expect-error: the items are users.
    user.slug.length;
  }
}

export function errors(err: PorticoError): string {
  // @ts-expect-error: details are unknown until narrowed.
  err.details.field.length;
  return err.code;
}
