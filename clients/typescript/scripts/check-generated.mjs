// `npm run check-generated`: regenerates the protocol types into a temporary directory and
// fails if they differ from the committed src/gen/ (someone changed a .proto file and did
// not run `npm run generate`, or edited a generated file by hand).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(packageRoot, "node_modules", ".bin");
const committed = join(packageRoot, "src", "gen");

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

const out = mkdtempSync(join(tmpdir(), "moonlight-sdk-gen-"));
let failed = false;
try {
  // Same template (buf.gen.yaml), output under the temporary directory: <out>/src/gen.
  const buf = existsSync(join(bin, "buf")) ? join(bin, "buf") : "buf";
  const run = spawnSync(buf, ["generate", "--output", out], {
    cwd: packageRoot,
    stdio: "inherit",
    // buf runs protoc-gen-es from PATH.
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` },
  });
  if (run.error || run.status !== 0) {
    console.error(`check-generated: \`buf generate\` failed${run.error ? `: ${run.error.message}` : ` (exit ${run.status})`}`);
    console.error("check-generated: run `npm ci` first (it installs buf and protoc-gen-es)");
    process.exit(2);
  }
  const fresh = join(out, "src", "gen");
  const want = files(fresh);
  const have = files(committed);
  const problems = [];
  for (const file of want) {
    if (!have.includes(file)) problems.push(`missing: src/gen/${file}`);
    else if (!readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)))) {
      problems.push(`out of date: src/gen/${file}`);
    }
  }
  for (const file of have) if (!want.includes(file)) problems.push(`not generated from any .proto: src/gen/${file}`);
  if (problems.length > 0) {
    failed = true;
    console.error("check-generated: src/gen/ does not match the .proto files (../../proto/proto):");
    for (const problem of problems) console.error(`  ${problem}`);
    console.error("Run `npm run generate` in clients/typescript and commit src/gen/.");
  } else {
    console.log(`check-generated: src/gen/ is up to date (${want.length} file${want.length === 1 ? "" : "s"})`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
