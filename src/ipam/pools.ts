/**
 * The few IPPool facts IPAM needs, read straight from the stored resources with Calico's read
 * defaults (blockSize 26 for IPv4 and 122 for IPv6 when unset; `convertIpPoolFromStorage`).
 * Deliberately minimal: the full IPPool model lives in src/resources.
 */
import type { Datastore } from '../datastore/contract.js';
import { parseCIDR } from '../resources/ip.js';
import type { Network } from './block-key.js';

export const IPPOOL_PREFIX = '/calico/resources/v3/projectcalico.org/ippools/';

export interface PoolInfo {
  key: string;
  name: string;
  /** spec.cidr as stored. */
  cidrText: string;
  /** The masked network, or undefined when spec.cidr does not parse. */
  net: Network | undefined;
  blockSize: number;
  disabled: boolean;
  /** Not being deleted and not marked Allocatable=False: what GetEnabledPools keeps (with !disabled). */
  allocatable: boolean;
}

export interface PoolProblem {
  key: string;
  reason: string;
}

function decodePool(key: string, text: string): PoolInfo | PoolProblem {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { key, reason: (err as Error).message };
  }
  const obj = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const meta = (obj['metadata'] ?? {}) as Record<string, unknown>;
  const spec = (obj['spec'] ?? {}) as Record<string, unknown>;
  const status = (obj['status'] ?? {}) as Record<string, unknown>;
  if (typeof spec['cidr'] !== 'string') return { key, reason: 'spec.cidr is not a string' };
  const cidr = parseCIDR(spec['cidr']);
  const net = cidr ? { network: cidr.network, prefix: cidr.prefix } : undefined;
  const rawSize = spec['blockSize'];
  const blockSize =
    typeof rawSize === 'number' && rawSize !== 0 ? rawSize : cidr?.network.version === 6 ? 122 : 26;
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as unknown[]) : [];
  const unallocatable = conditions.some((c) => {
    const cond = (c ?? {}) as Record<string, unknown>;
    return cond['type'] === 'Allocatable' && cond['status'] === 'False';
  });
  const deleting = meta['deletionTimestamp'] !== undefined && meta['deletionTimestamp'] !== null;
  return {
    key,
    name: typeof meta['name'] === 'string' ? meta['name'] : key.slice(IPPOOL_PREFIX.length),
    cidrText: spec['cidr'],
    net,
    blockSize,
    disabled: spec['disabled'] === true,
    allocatable: !deleting && !unallocatable,
  };
}

/** Every pool in key (= name) order, read at one revision; undecodable values are returned apart. */
export async function listPools(
  ds: Datastore,
  revision?: number,
): Promise<{ pools: PoolInfo[]; problems: PoolProblem[]; revision: number }> {
  const stream = await ds.list(IPPOOL_PREFIX, revision ? { revision } : {});
  const pools: PoolInfo[] = [];
  const problems: PoolProblem[] = [];
  for await (const kv of stream) {
    const p = decodePool(kv.key, kv.value);
    if ('reason' in p) problems.push(p);
    else pools.push(p);
  }
  return { pools, problems, revision: stream.revision };
}
