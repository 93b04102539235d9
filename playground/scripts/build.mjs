// `npm run build`: type-checks, then bundles the playground into dist/ (or the directory
// given as the first argument): exactly index.html, assets/app.js and assets/app.css, which
// the server embeds and serves at /, /assets/app.js and /assets/app.css. The output is
// deterministic (no hashes, timestamps or source maps), so the committed dist/ can be
// checked against a fresh build (`npm run check-built`).
//
// The SDK is bundled from its sources (../clients/typescript/src). Its imports of
// @bufbuild/protobuf resolve to this package's copy, so only `npm ci` here is needed.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The files a build writes, relative to its output directory. */
export const OUTPUTS = ["index.html", "assets/app.js", "assets/app.css"];

/** Resolves the bare imports of any file (the SDK's included) from this package. */
const fromHere = {
  name: "resolve-from-playground",
  setup(build) {
    build.onResolve({ filter: /^@bufbuild\/protobuf(\/.*)?$/ }, (args) => {
      if (args.pluginData === "from-here") return undefined;
      return build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: "from-here" });
    });
  },
};

export function typecheck() {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], { cwd: root, stdio: "inherit" });
  if (run.error || run.status !== 0) throw new Error(`type check failed${run.error ? `: ${run.error.message}` : ""}`);
}

export async function build(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, "assets"), { recursive: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    charset: "utf8",
    logLevel: "warning",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
  };
  await esbuild.build({
    ...common,
    entryPoints: ["src/main.ts"],
    outfile: join(outdir, "assets", "app.js"),
    format: "esm",
    platform: "browser",
    plugins: [fromHere],
  });
  await esbuild.build({
    ...common,
    entryPoints: ["src/styles/app.css"],
    outfile: join(outdir, "assets", "app.css"),
  });
  copyFileSync(join(root, "index.html"), join(outdir, "index.html"));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(root, process.argv[2] ?? "dist");
  const started = Date.now();
  try {
    typecheck();
    await build(outdir);
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(1);
  }
  console.log(`build: ${OUTPUTS.map((f) => join(outdir, f)).join(", ")} in ${Date.now() - started} ms`);
}
