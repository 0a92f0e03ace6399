/** The old pool and one of its blocks, whose held addresses a background writer releases. */
import { storedPool, withDs, type Backend } from '../pools/harness.js';

export const blockKey = (cidr: string): string =>
  `/calico/ipam/v2/assignment/ipv4/block/${cidr.replace('/', '-')}`;
export const BLOCK_KEY = blockKey('10.1.0.0/26');
export const OLD = storedPool('old', { cidr: '10.1.0.0/16', ipipMode: 'Always', natOutgoing: true });

/** A /26 (10.1.0.0 by default) owned by n1 with its first `held` addresses held by pods on n1 and n2. */
export function heldBlock(held: number, cidr = '10.1.0.0/26'): string {
  const allocations = Array.from({ length: 64 }, (_, i) => (i < held ? i : null));
  const unallocated = Array.from({ length: 64 }, (_, i) => i).filter((i) => i >= held);
  const attributes = Array.from({ length: held }, (_, i) => ({
    handle_id: `k8s-pod-network.p${i}`,
    secondary: { namespace: 'shop', node: i % 2 ? 'n2' : 'n1', pod: `web-${i}` },
  }));
  return (
    `{"cidr":"${cidr}","affinity":"host:n1","allocations":${JSON.stringify(allocations)},` +
    `"unallocated":${JSON.stringify(unallocated)},"attributes":${JSON.stringify(attributes)},` +
    `"sequenceNumber":1780308000000000002,"sequenceNumberForAllocation":{},"deleted":false}`
  );
}

/** The background writer: the block now holds `held` addresses. */
export async function release(backend: Backend, held: number, cidr = '10.1.0.0/26'): Promise<void> {
  await withDs(backend, async (ds) => {
    const kv = await ds.get(blockKey(cidr));
    const out = await ds.update(blockKey(cidr), heldBlock(held, cidr), kv!.modRevision);
    if (!out.ok) throw new Error('the writer lost a compare-and-swap');
  });
}
