import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KVBackend } from '../../../src/datastore/contract.js';
import { createDatastore } from '../../../src/datastore/datastore.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { tempDir } from '../../helpers/temp.js';

/** A real embedded store that declares itself one-key-at-a-time, as the Kubernetes backend does. */
async function oneKeyAtATime(): Promise<KVBackend> {
  const inner = await openEmbeddedBackend({
    path: join(tempDir('calicoctl-ts-multikey-'), 'store.db'),
    source: 'test',
    timeoutMs: 5000,
  });
  return {
    info: inner.info,
    multiKeyTransactions: false,
    range: (req) => inner.range(req),
    txn: (req) => inner.txn(req),
    close: () => inner.close(),
  };
}

describe('a backend without multi-key transactions', () => {
  it('refuses a transaction over two keys before sending it, and writes nothing', async () => {
    const ds = createDatastore(await oneKeyAtATime());
    try {
      expect(ds.multiKeyTransactions).toBe(false);
      await expect(
        ds.txn({
          compare: [{ key: '/a', target: 'version', op: '==', value: 0 }],
          success: [
            { type: 'put', key: '/a', value: '1' },
            { type: 'put', key: '/b', value: '2' },
          ],
        }),
      ).rejects.toMatchObject({ code: 'MultiKeyTransaction' });
      expect(await ds.count('/')).toBe(0);
    } finally {
      await ds.close();
    }
  });

  it('still makes one-key compare-and-swap writes', async () => {
    const ds = createDatastore(await oneKeyAtATime());
    try {
      const created = await ds.create('/a', '1');
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect((await ds.update('/a', '2', created.revision)).ok).toBe(true);
      expect(await ds.create('/a', '3')).toMatchObject({ ok: false, reason: 'exists' });
      expect((await ds.get('/a'))?.value).toBe('2');
    } finally {
      await ds.close();
    }
  });
});
