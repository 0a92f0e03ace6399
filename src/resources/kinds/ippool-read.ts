/**
 * The part of IPPool's module (ippool.ts) that readers of pools need without the kind registry
 * (`ipam show` starts on the fast path and reads pools, docs/architecture.md "Start-up"): the
 * defaults every read and write fills in. Apart from ippool.ts so that reading a pool loads neither
 * schemas nor validation.
 */
import type { KeyValue } from '../../datastore/contract.js';
import { parseCIDR } from '../ip.js';
import { decodeStored } from '../stored.js';
import type { ResourceObject } from '../types.js';

/** The defaults IPPool reads and writes fill in (convertIpPoolFromStorage). */
export function defaultIPPoolSpec(spec: Record<string, unknown>): void {
  if (!spec.blockSize) {
    const cidr = typeof spec.cidr === 'string' ? parseCIDR(spec.cidr) : undefined;
    if (cidr) spec.blockSize = cidr.ip.version === 4 ? 26 : 122;
  }
  if (!Array.isArray(spec.allowedUses) || spec.allowedUses.length === 0)
    spec.allowedUses = ['Workload', 'Tunnel'];
  if (!spec.nodeSelector) spec.nodeSelector = 'all()';
  if (!spec.ipipMode) spec.ipipMode = 'Never';
  if (!spec.vxlanMode) spec.vxlanMode = 'Never';
  if (spec.assignmentMode === undefined || spec.assignmentMode === null) spec.assignmentMode = 'Automatic';
}

/** IPPool's read defaults, as its descriptor applies them. */
export function ippoolReadDefaults(res: ResourceObject): void {
  defaultIPPoolSpec((res.spec ??= {}));
}

/** A stored IPPool as every reader sees it (decodeFromStorage with the IPPool descriptor). */
export function decodeStoredIPPool(kv: KeyValue): ResourceObject {
  return decodeStored(kv, ippoolReadDefaults);
}
