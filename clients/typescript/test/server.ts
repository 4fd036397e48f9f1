// A real Portico server for the tests: the binary of this repository
// (PORTICO_BIN, or built here with `go build`), a fresh SQLite data dir, an
// app made with `portico app create --json`, and `portico serve` on a free
// loopback port, stopped by its PID.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's directory (build-test/test/ is two levels below it). */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The repository's root. */
export const repoRoot = resolve(packageDir, "../..");

export interface TestServer {
  url: string;
  appId: string;
  apiKey: string;
  bin: string;
  dataDir: string;
  log(): string;
  /** Stops the server with SIGTERM and answers its exit code. */
  stop(): Promise<number | null>;
}

export async function startServer(): Promise<TestServer> {
  const work = mkdtempSync(join(tmpdir(), "portico-ts-"));
  let bin = process.env["PORTICO_BIN"];
  if (!bin) {
    bin = join(work, "portico");
    execFileSync("go", ["build", "-o", bin, "./cmd/portico"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
  }
  const dataDir = join(work, "data");
  // The server and the CLI get only what the test says: no PORTICO_*
  // variables of the caller's shell.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PORTICO_")));
  const app = JSON.parse(
    execFileSync(bin, ["app", "create", "--name", "TypeScript tests", "--json", "--data-dir", dataDir], { encoding: "utf8", env }),
  ) as { app_id: string; api_key: string };
  // --allow-private-upstreams: the tests' upstream and webhook receiver
  // listen on 127.0.0.1.
  const child = spawn(
    bin,
    ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--allow-private-upstreams", "--log-format", "json"],
    { stdio: ["ignore", "ignore", "pipe"], env },
  );
  let log = "";
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`the server did not start:\n${log}`)), 30_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      log += chunk;
      const m = /"msg":"serving".*?"url":"([^"]+)"/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`the server exited with ${code}:\n${log}`));
    });
  });
  return {
    url,
    appId: app.app_id,
    apiKey: app.api_key,
    bin,
    dataDir,
    log: () => log,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
      const code = await exited;
      rmSync(work, { recursive: true, force: true });
      return code;
    },
  };
}
