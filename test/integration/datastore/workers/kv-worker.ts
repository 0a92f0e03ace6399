/**
 * A separate OS process working on one embedded store, for the multi-process test of
 * embedded.test.ts (bundled with esbuild and run with node): adds 1 to the integer at key count
 * times, by compare-and-swap, and prints how many of its compares were lost.
 * Usage: kv-worker <path> <key> <count>
 */
import { createDatastore } from '../../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../../src/datastore/embedded/backend.js';

const [path, key, count] = process.argv.slice(2);
if (!path || !key || !count) throw new Error('usage: kv-worker <path> <key> <count>');
const ds = createDatastore(await openEmbeddedBackend({ path, source: 'worker', timeoutMs: 30_000 }));
let conflicts = 0;
for (let done = 0; done < Number(count); ) {
  const cur = await ds.get(key);
  const outcome = cur
    ? await ds.update(key, String(Number(cur.value) + 1), cur.modRevision)
    : await ds.create(key, '1');
  if (outcome.ok) done++;
  else conflicts++;
}
process.stdout.write(JSON.stringify({ conflicts }) + '\n');
await ds.close();
