// `npm run check-built`: builds into a temporary directory and fails if the result differs
// from the committed dist/ (a source changed without `npm run build`), or if dist/ holds any
// other file. CI runs it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { build, OUTPUTS, root, typecheck } from "./build.mjs";

function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split("\\").join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

const temp = mkdtempSync(join(tmpdir(), "moonlight-playground-"));
let problems = [];
try {
  typecheck();
  await build(join(temp, "dist"));
  const committed = join(root, "dist");
  const have = (() => {
    try {
      return files(committed);
    } catch {
      return [];
    }
  })();
  const want = [...OUTPUTS].sort();
  for (const file of want) {
    if (!have.includes(file)) {
      problems.push(`dist/${file} is missing`);
      continue;
    }
    const a = readFileSync(join(committed, file));
    const b = readFileSync(join(temp, "dist", file));
    if (!a.equals(b)) problems.push(`dist/${file} differs from a fresh build (${a.length} bytes committed, ${b.length} built)`);
  }
  for (const file of have) if (!want.includes(file)) problems.push(`dist/${file} is not a build output`);
} catch (error) {
  problems.push(error.message);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-built: ${problem}`);
  console.error("check-built: run `npm run build` in playground/ and commit dist/.");
  process.exit(1);
}
console.log("check-built: dist/ is up to date");
