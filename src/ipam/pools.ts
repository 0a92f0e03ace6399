/**
 * The IPPool facts IPAM needs, decoded as the resources layer decodes every IPPool
 * (src/resources/kinds/ippool-read.ts: IPPool's read defaults, as `convertIpPoolFromStorage`: blockSize
 * 26/122, nodeSelector all(), allowedUses Workload+Tunnel, assignmentMode Automatic), so there is
 * one pool model, without loading the kind registry (`ipam show` does not).
 */
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { cidrContains, parseCIDR, type IPAddr } from '../resources/ip.js';
import { decodeStoredIPPool } from '../resources/kinds/ippool-read.js';
import type { ResourceObject } from '../resources/types.js';
import { IPPOOL_PREFIX } from '../resources/well-known-keys.js';
import { bitsOf, type Network } from './keys.js';

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
  nodeSelector: string;
  allowedUses: string[];
  assignmentMode: string;
  /** The decoded resource (read defaults applied, resourceVersion = mod revision). */
  resource: ResourceObject;
}

export interface PoolProblem {
  key: string;
  reason: string;
}

export function decodePool(kv: KeyValue): PoolInfo | PoolProblem {
  let res: ResourceObject;
  try {
    res = decodeStoredIPPool(kv);
  } catch (err) {
    return { key: kv.key, reason: (err as Error).message };
  }
  const spec = res.spec ?? {};
  const status = (res.status ?? {}) as Record<string, unknown>;
  if (typeof spec['cidr'] !== 'string') return { key: kv.key, reason: 'spec.cidr is not a string' };
  const cidr = parseCIDR(spec['cidr']);
  const rawSize = spec['blockSize'];
  const blockSize =
    typeof rawSize === 'number' && rawSize !== 0 ? rawSize : cidr?.network.version === 6 ? 122 : 26;
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as unknown[]) : [];
  const unallocatable = conditions.some((c) => {
    const cond = (c ?? {}) as Record<string, unknown>;
    return cond['type'] === 'Allocatable' && cond['status'] === 'False';
  });
  const deleting =
    res.metadata['deletionTimestamp'] !== undefined && res.metadata['deletionTimestamp'] !== null;
  const uses = Array.isArray(spec['allowedUses']) ? (spec['allowedUses'] as unknown[]) : [];
  return {
    key: kv.key,
    name: res.metadata.name ?? kv.key.slice(IPPOOL_PREFIX.length),
    cidrText: spec['cidr'],
    net: cidr ? { network: cidr.network, prefix: cidr.prefix } : undefined,
    blockSize,
    disabled: spec['disabled'] === true,
    allocatable: !deleting && !unallocatable,
    nodeSelector: typeof spec['nodeSelector'] === 'string' ? spec['nodeSelector'] : 'all()',
    allowedUses: uses.filter((u): u is string => typeof u === 'string'),
    assignmentMode: typeof spec['assignmentMode'] === 'string' ? spec['assignmentMode'] : 'Automatic',
    resource: res,
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
    const p = decodePool(kv);
    if ('reason' in p) problems.push(p);
    else pools.push(p);
  }
  return { pools, problems, revision: stream.revision };
}

/** The first pool enabled for allocation that holds ip: the pool the address's block belongs to. */
export function enabledPoolHolding(pools: readonly PoolInfo[], ip: IPAddr): PoolInfo | undefined {
  return pools.find(
    (p) =>
      !p.disabled &&
      p.allocatable &&
      p.net !== undefined &&
      cidrContains(p.net, { network: ip, prefix: bitsOf(ip.version) }),
  );
}
