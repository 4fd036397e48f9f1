/** Returns a copy of an OpenAPI document whose required-only constraints carry their properties. */
export function rewrite(doc: unknown): unknown;
/** The text of src/openapi.ts for an OpenAPI document (parsed JSON). */
export function generate(doc: unknown): Promise<string>;
