/**
 * Bundles a worker script with esbuild so that a test can run it as a plain node process; the bundle
 * is removed when the test file ends.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { build } from 'esbuild';

import { REPO_ROOT } from '../../helpers/cli.js';
import { removeWhenFileEnds } from '../../helpers/temp.js';

export async function bundleWorker(entry: string): Promise<string> {
  // Next to node_modules so that the bundle's import of better-sqlite3 resolves.
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache', 'calicoctl-ts-test');
  mkdirSync(cacheDir, { recursive: true });
  const name = entry.split('/').pop()!.replace(/\.ts$/, '');
  const outfile = join(cacheDir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // etcd3 reads its .proto files next to its own code at run time: left to node_modules.
    external: ['better-sqlite3', 'etcd3'],
    outfile,
    logLevel: 'error',
  });
  return removeWhenFileEnds(outfile);
}
