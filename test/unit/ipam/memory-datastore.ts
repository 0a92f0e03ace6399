/** A real embedded datastore in a temporary file, filled with exact key/value strings. */
import { join } from 'node:path';

import type { Datastore } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { tempDir } from '../../helpers/temp.js';

export async function datastoreWith(
  kvs: Record<string, string>,
): Promise<{ ds: Datastore; path: string; cleanup: () => Promise<void> }> {
  const dir = tempDir('calicoctl-ts-ipam-');
  const path = join(dir, 'store.db');
  const ds = createDatastore(await openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }));
  for (const [key, value] of Object.entries(kvs)) {
    const outcome = await ds.create(key, value);
    if (!outcome.ok) throw new Error(`could not seed ${key}`);
  }
  return {
    ds,
    path,
    cleanup: () => ds.close(),
  };
}
