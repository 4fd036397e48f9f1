// Generates src/openapi.ts, the wire types, from the OpenAPI document the
// server serves (internal/httpapi/openapi.json, also GET /openapi.json):
//
//   node scripts/generate.mjs [document.json] [output.ts]
//
// openapi-typescript does the work. Two settings and one rewrite make its
// types fit requests as well as answers:
//  * defaultNonNullable: false — a property with a default stays optional
//    (`refreshable` of SessionCreate may be left out);
//  * emptyObjectsUnknown — `{"type":"object"}` is Record<string, unknown>
//    (perform's `input`), not an object that must be empty;
//  * constraints made only of `required` (UserCreate's "external_id or
//    email", AppliedSessionSettings' "every field present") would turn into
//    `unknown`, which takes anything; rewrite() gives each the properties it
//    names, so they become unions and intersections of real types.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));

const HEADER = `/**
 * The wire types of Portico's native API, generated from the OpenAPI
 * document the server serves by scripts/generate.mjs (npm run generate).
 * Do not edit: a test fails when this file differs from what the
 * generator makes of the served document.
 */

`;

/** Whether a schema only lists required properties. */
const requiredOnly = (s) => s && typeof s === "object" && Array.isArray(s.required) && Object.keys(s).every((k) => k === "required" || k === "description");

const pick = (props, names) => Object.fromEntries(names.filter((n) => props && n in props).map((n) => [n, props[n]]));

/** Returns a copy of doc whose required-only constraints carry their properties. */
export function rewrite(doc) {
  const out = structuredClone(doc);
  const resolveRef = (s) => {
    if (!s || typeof s.$ref !== "string") return s;
    const name = s.$ref.replace("#/components/schemas/", "");
    return out.components.schemas[name];
  };
  const visit = (s) => {
    if (!s || typeof s !== "object") return;
    if (Array.isArray(s)) return s.forEach(visit);
    for (const v of Object.values(s)) visit(v);
    for (const k of ["anyOf", "oneOf"]) {
      if (s.properties && Array.isArray(s[k]) && s[k].every(requiredOnly)) {
        const base = { type: "object", properties: s.properties };
        if (s.required) base.required = s.required;
        const alternatives = s[k].map((m) => ({ type: "object", required: m.required, properties: pick(s.properties, m.required) }));
        delete s[k];
        delete s.properties;
        delete s.required;
        delete s.type;
        delete s.additionalProperties;
        s.allOf = [base, { [k]: alternatives }];
      }
    }
    if (Array.isArray(s.allOf) && s.allOf.some(requiredOnly)) {
      const props = Object.assign({}, ...s.allOf.map((m) => resolveRef(m)?.properties ?? {}));
      s.allOf = s.allOf.map((m) => (requiredOnly(m) ? { type: "object", required: m.required, properties: pick(props, m.required) } : m));
    }
  };
  visit(out.components);
  return out;
}

/** The text of src/openapi.ts for an OpenAPI document (parsed JSON). */
export async function generate(doc) {
  const ast = await openapiTS(rewrite(doc), { defaultNonNullable: false, emptyObjectsUnknown: true, silent: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const input = process.argv[2] ?? resolve(here, "../../../internal/httpapi/openapi.json");
  const output = process.argv[3] ?? resolve(here, "../src/openapi.ts");
  writeFileSync(output, await generate(JSON.parse(readFileSync(input, "utf8"))));
  console.log(`${input} → ${output}`);
}
