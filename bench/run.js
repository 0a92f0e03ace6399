#!/usr/bin/env node
// Bundles the TypeScript benchmark (bench/main.ts) with esbuild, a devDependency, into
// node_modules/.cache so that `node bench/run.js ...` is the whole command: no separate build,
// and nothing generated lands in the source tree. The CLI under test is the built one (dist/).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// One file per run: node_modules (and so its cache) may be shared by several checkouts at once.
const outfile = fileURLToPath(
  new URL(`../node_modules/.cache/calicoctl-ts-bench/main-${process.pid}.mjs`, import.meta.url),
);
await build({
  entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(outfile).href).finally(() => rmSync(outfile, { force: true }));
process.exitCode = await main(process.argv.slice(2), repoRoot);
