export * from "./client.js";
export * from "./errors.js";
export * from "./webhook.js";
export type { components, operations, paths } from "./openapi.js";
