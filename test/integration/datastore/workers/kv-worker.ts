/**
 * A separate OS process working on one embedded store, for the multi-process tests. Bundled by
 * embedded.test.ts with esbuild and run with node. Modes:
 *   cas-increment <path> <key> <count>   adds 1 to the integer at key count times, by compare-and-swap
 */
import { createDatastore } from '../../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../../src/datastore/embedded/backend.js';

const [mode, path, ...rest] = process.argv.slice(2);
if (!path) throw new Error('usage: kv-worker <mode> <path> ...');
const ds = createDatastore(await openEmbeddedBackend({ path, source: 'worker', timeoutMs: 30_000 }));

if (mode === 'cas-increment') {
  const key = rest[0]!;
  const count = Number(rest[1]);
  let conflicts = 0;
  for (let done = 0; done < count; ) {
    const cur = await ds.get(key);
    const outcome = cur
      ? await ds.update(key, String(Number(cur.value) + 1), cur.modRevision)
      : await ds.create(key, '1');
    if (outcome.ok) done++;
    else conflicts++;
  }
  process.stdout.write(JSON.stringify({ conflicts }) + '\n');
} else {
  throw new Error(`unknown mode ${mode}`);
}
await ds.close();
