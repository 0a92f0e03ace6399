/**
 * A write-heavy process for the crash test: runs the write-loop workload (write-loop.ts)
 * on one embedded store and prints n after transaction n has committed (stdout to a pipe is
 * synchronous on Linux, so a printed n is a write the process saw acknowledged).
 * Usage: write-loop-worker <store path>
 */
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { COUNTER, writeLoopStep } from './write-loop.js';

const path = process.argv[2];
if (!path) throw new Error('usage: write-loop-worker <store path>');
const ds = createDatastore(await openEmbeddedBackend({ path, source: 'worker', timeoutMs: 30_000 }));
let n = Number((await ds.get(COUNTER))?.value ?? 0);
process.stdout.write(`started ${n}\n`);
for (;;) {
  await writeLoopStep(ds);
  n++;
  process.stdout.write(`${n}\n`);
}
