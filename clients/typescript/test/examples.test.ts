// The README's examples: the files are in the README as they are, and the
// quickstart runs against a real server and prints what the README says.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { packageDir, startServer, type TestServer } from "./server.js";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

describe("README", () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");

  for (const file of ["quickstart.ts", "webhooks.ts"]) {
    it(`shows examples/${file} as it is`, () => {
      const source = readFileSync(join(packageDir, "examples", file), "utf8");
      assert.ok(readme.includes("```ts\n" + source + "```"), `README.md does not show examples/${file} as it is`);
    });
  }

  it("runs the quickstart", async () => {
    const run = () =>
      promisify(execFile)(process.execPath, [join(packageDir, "build-test", "examples", "quickstart.js")], {
        env: { ...process.env, PORTICO_URL: server.url, PORTICO_API_KEY: server.apiKey },
      });
    const { stdout } = await run();
    const lines = stdout.trimEnd().split("\n");
    const base = server.url.replace(/[.]/g, "\\.");
    assert.match(lines[0] ?? "", /^usr_\w+ created$/);
    assert.match(lines[1] ?? "", new RegExp(`^configuration URL: ${base}/connect/pcc_\\S+$`));
    assert.match(lines[2] ?? "", /^user usr_\w+ u-42$/);
    assert.match(lines[3] ?? "", new RegExp(`^connection_required missing ${base}/connect/pcc_\\S+$`));
    assert.equal(lines.length, 4);
    // Again: the user is found this time.
    assert.match((await run()).stdout, /^usr_\w+ found\n/);
  });
});
