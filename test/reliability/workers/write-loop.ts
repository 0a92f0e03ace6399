/**
 * The write-loop workload and the check that a store holds exactly the state after some prefix of
 * it: transaction n sets counter = n, puts item/n (a 16 KiB value naming n) and deletes item/(n-3).
 */
import type { Datastore } from '../../../src/datastore/contract.js';

export const COUNTER = '/calico/test/write-loop/counter';
const ITEMS = '/calico/test/write-loop/item/';

const itemKey = (n: number): string => `${ITEMS}${String(n).padStart(8, '0')}`;
const itemValue = (n: number): string => JSON.stringify({ n, pad: 'p'.repeat(16_384) });

export async function writeLoopStep(ds: Datastore): Promise<void> {
  const cur = await ds.get(COUNTER);
  const n = cur ? Number(cur.value) + 1 : 1;
  const res = await ds.txn({
    compare: [{ key: COUNTER, target: 'modRevision', op: '==', value: cur?.modRevision ?? 0 }],
    success: [
      { type: 'put', key: COUNTER, value: String(n) },
      { type: 'put', key: itemKey(n), value: itemValue(n) },
      { type: 'delete', key: itemKey(n - 3) },
    ],
  });
  if (!res.succeeded) throw new Error('write-loop: someone else wrote the counter');
}

/** Returns n, the number of write-loop transactions the store reflects, or throws what is wrong. */
export async function checkWriteLoopState(ds: Datastore): Promise<number> {
  const counter = await ds.get(COUNTER);
  const n = counter ? Number(counter.value) : 0;
  const items: string[] = [];
  for await (const kv of await ds.list(ITEMS)) {
    const m = Number(kv.key.slice(ITEMS.length));
    if (kv.value !== itemValue(m)) throw new Error(`item ${m} has a torn value`);
    if (counter && kv.modRevision > counter.modRevision)
      throw new Error(`item ${m} is newer than the counter`);
    items.push(kv.key);
  }
  const expected: string[] = [];
  for (let m = Math.max(1, n - 2); m <= n; m++) expected.push(itemKey(m));
  if (JSON.stringify(items) !== JSON.stringify(expected)) {
    throw new Error(`counter ${n} but items ${items.map((k) => k.slice(ITEMS.length)).join(',')}`);
  }
  return n;
}
