/**
 * `ipam split <NUMBER> --cidr=<CIDR> | --name=<POOL>` (calicoctl `commands/ipam/split.go`, calico.md
 * §3.8): with the datastore locked, the pool is replaced by NUMBER equal pools
 * `split-<name>-<i>` (metadata, labels, annotations and spec copied, next CIDR each, enabled),
 * created without the overlap check, and the old pool is deleted without releasing its block
 * affinities. Messages are calicoctl's.
 *
 * Unlike calicoctl (which disables the old pool before it reads NUMBER, and creates the pools one by
 * one), everything is checked first and written in one transaction: a bad NUMBER or a child pool
 * that would fail validation leaves the datastore untouched.
 */
import { goTimestamp } from '../codec/go-time.js';
import { randomUUID } from 'node:crypto';

import { parseGoAtoi } from '../codec/go-strconv.js';
import type { Datastore, TxnOp, Compare } from '../datastore/contract.js';
import { ConflictError, InputError, OperationError, RefusedError, isCalicoError } from '../errors.js';
import { formatCIDR, parseCIDR } from '../resources/ip.js';
import { kindDescriptor, resourceKey, type KindDescriptor } from '../resources/registry.js';
import { ResourceStore, encodeForStorage } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';
import { validationMessage } from '../resources/types.js';
import { validateIPPool } from '../resources/kinds/ippool.js';
import { validateMetadata } from '../resources/validate.js';
import { bitsOf } from './keys.js';

const IPPOOL: KindDescriptor = kindDescriptor('IPPool')!;
const CLUSTER_INFO: KindDescriptor = kindDescriptor('ClusterInformation')!;
/** etcd's default --max-txn-ops: larger splits are written step by step, as calicoctl does. */
const MAX_TXN_OPS = 128;

export interface SplitRequest {
  /** NUMBER as typed. */
  number: string;
  cidr?: string;
  name?: string;
}

export interface SplitPool {
  name: string;
  cidr: string;
}

export interface SplitResult {
  pool: string;
  cidr: string;
  number: number;
  created: SplitPool[];
}

/** splitCIDR: parts must be a power of 2 above 1 and fit in the prefix. */
export function splitCIDR(oldCIDR: string, parts: number): string[] {
  if (!Number.isSafeInteger(parts) || parts < 2 || (BigInt(parts) & BigInt(parts - 1)) !== 0n) {
    throw new InputError(`number to split CIDR into is not a valid power of 2: ${parts}`);
  }
  const power = BigInt(parts).toString(2).length - 1;
  const cidr = parseCIDR(oldCIDR);
  if (!cidr) throw new InputError(`error reading CIDR ${oldCIDR} before attempting to split it`);
  const bits = bitsOf(cidr.network.version);
  if (power + cidr.prefix > bits) {
    throw new InputError(`the CIDR ${oldCIDR} is not large enough to be split into ${parts} parts`);
  }
  const prefix = cidr.prefix + power;
  const step = 1n << BigInt(bits - prefix);
  return Array.from({ length: parts }, (_, i) =>
    formatCIDR({
      network: { version: cidr.network.version, value: cidr.network.value + BigInt(i) * step },
      prefix,
    }),
  );
}

/** Go strconv.Atoi's error text. */
function parseNumber(text: string): number {
  const n = parseGoAtoi(text);
  if (n === undefined) {
    const why = /^[+-]?\d+$/.test(text) ? 'value out of range' : 'invalid syntax';
    throw new InputError(
      `error reading number to split IP pools into. ${text} is not a valid number: strconv.Atoi: parsing ${JSON.stringify(text)}: ${why}`,
    );
  }
  return n;
}

async function checkLocked(store: ResourceStore): Promise<void> {
  let info: ResourceObject;
  try {
    info = await store.get(CLUSTER_INFO, 'default');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new OperationError(
      `error while checking if datastore was locked: error retrieving ClusterInformation: ${message}`,
      { code: 'ClusterInformation', hint: "lock the datastore with 'calicoctl-ts datastore migrate lock'" },
    );
  }
  if (info.spec?.['datastoreReady'] !== false) {
    throw new RefusedError(
      'datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools',
      { code: 'DatastoreNotLocked', hint: "run 'calicoctl-ts datastore migrate lock' first" },
    );
  }
}

async function findPool(store: ResourceStore, req: SplitRequest): Promise<ResourceObject> {
  if (req.name) {
    try {
      return await store.get(IPPOOL, req.name);
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      throw new OperationError(`unable to find IP pool with name ${req.name}: ${err.message}`, {
        code: 'PoolNotFound',
      });
    }
  }
  let found: ResourceObject | undefined;
  for (const pool of (await store.list(IPPOOL)).items) {
    if (pool.spec?.['cidr'] === req.cidr) found = pool;
  }
  if (!found) {
    throw new OperationError(`unable to find IP pool  covering the specified CIDR ${req.cidr ?? ''}`, {
      code: 'PoolNotFound',
      hint: "the CIDR must equal a pool's spec.cidr exactly; see 'calicoctl-ts get ippools'",
    });
  }
  return found;
}

/** The child pool: the old one's metadata (minus identity) and spec, a new name and CIDR, enabled. */
function childPool(old: ResourceObject, index: number, cidr: string): ResourceObject {
  const oldName = old.metadata.name ?? '';
  let name = `split-${oldName}-${index}`;
  if (name.length > 253) name = `split-${oldName.slice(0, 245)}-${index}`;
  const meta = { ...old.metadata };
  for (const f of ['uid', 'resourceVersion', 'generation', 'selfLink', 'creationTimestamp', 'generateName']) {
    Reflect.deleteProperty(meta, f);
  }
  const child: ResourceObject = {
    ...structuredClone(old),
    metadata: { ...structuredClone(meta), name },
    spec: { ...structuredClone(old.spec ?? {}), cidr, disabled: false },
  };
  // UnsafeCreate: clientv3's checks and defaults without the overlap check.
  const errs = [...validateIPPool(child, undefined, []), ...validateMetadata(child)];
  if (errs.length > 0) {
    throw new InputError(
      `error using unsafe create to make split pool with cidr ${cidr}: ${validationMessage(errs)}`,
      { code: 'ValidationFailed' },
    );
  }
  if (child.spec?.['disabled'] === false) Reflect.deleteProperty(child.spec, 'disabled');
  child.metadata.uid = randomUUID();
  child.metadata.creationTimestamp = goTimestamp();
  return child;
}

export async function splitPool(ds: Datastore, req: SplitRequest): Promise<SplitResult> {
  if (!req.cidr && !req.name) {
    throw new InputError('no name or CIDR provided. Provide a name or CIDR to denote the IP pool to split');
  }
  const store = new ResourceStore(ds);
  await checkLocked(store);
  const old = await findPool(store, req);
  const oldName = old.metadata.name ?? '';
  const oldCIDR = String(old.spec?.['cidr'] ?? '');
  const parts = parseNumber(req.number);
  let cidrs: string[];
  try {
    cidrs = splitCIDR(oldCIDR, parts);
  } catch (err) {
    if (!isCalicoError(err)) throw err;
    throw new InputError(`error splitting the CIDR ${oldCIDR} into ${parts} CIDRs: ${err.message}`);
  }
  const children = cidrs.map((cidr, i) => childPool(old, i, cidr));
  const oldKey = resourceKey(IPPOOL, oldName);
  const oldRevision = Number(old.metadata.resourceVersion);

  // One transaction where the store has them and etcd takes that many ops; else calicoctl's order.
  if (ds.multiKeyTransactions && children.length + 1 <= MAX_TXN_OPS) {
    const compare: Compare[] = [
      { key: oldKey, target: 'modRevision', op: '==', value: oldRevision },
      ...children.map(
        (c): Compare => ({
          key: resourceKey(IPPOOL, c.metadata.name!),
          target: 'version',
          op: '==',
          value: 0,
        }),
      ),
    ];
    const success: TxnOp[] = [
      ...children.map(
        (c): TxnOp => ({
          type: 'put',
          key: resourceKey(IPPOOL, c.metadata.name!),
          value: encodeForStorage(IPPOOL, c),
        }),
      ),
      { type: 'delete', key: oldKey },
    ];
    const res = await ds.txn({ compare, success });
    if (!res.succeeded) await explainFailedSplit(ds, oldName, oldKey, oldRevision, children);
  } else {
    await splitStepByStep(store, old, children);
  }
  return {
    pool: oldName,
    cidr: oldCIDR,
    number: parts,
    created: children.map((c) => ({ name: c.metadata.name!, cidr: String(c.spec?.['cidr']) })),
  };
}

async function explainFailedSplit(
  ds: Datastore,
  oldName: string,
  oldKey: string,
  oldRevision: number,
  children: readonly ResourceObject[],
): Promise<never> {
  for (const c of children) {
    if (await ds.get(resourceKey(IPPOOL, c.metadata.name!))) {
      throw new OperationError(
        `error using unsafe create to make split pool with cidr ${String(c.spec?.['cidr'])}: resource already exists: IPPool(${c.metadata.name!}) with error: <nil>`,
        { code: 'ResourceExists', hint: `delete or rename IPPool ${c.metadata.name!} first` },
      );
    }
  }
  const now = await ds.get(oldKey);
  if (now?.modRevision !== oldRevision) {
    throw new ConflictError(`update conflict: IPPool(${oldName})`, {
      hint: 'the pool changed meanwhile; run the command again',
    });
  }
  throw new ConflictError(`split of IPPool(${oldName}) was not written`, { hint: 'run the command again' });
}

/** calicoctl's order: disable the old pool, create each child, delete the old pool. */
async function splitStepByStep(
  store: ResourceStore,
  old: ResourceObject,
  children: readonly ResourceObject[],
): Promise<void> {
  const disabled = await store.update(IPPOOL, { ...old, spec: { ...old.spec, disabled: true } });
  for (const c of children) {
    try {
      await store.create(IPPOOL, c);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new OperationError(
        `error using unsafe create to make split pool with cidr ${String(c.spec?.['cidr'])}: ${message}`,
        {
          code: 'SplitIncomplete',
          hint: `IPPool ${old.metadata.name ?? ''} is left disabled; the pools created so far remain`,
        },
      );
    }
  }
  await store.delete(IPPOOL, old.metadata.name ?? '', undefined, disabled.metadata.resourceVersion);
}

/** calicoctl's output, missing newlines included. */
export function splitText(r: SplitResult): string {
  return (
    `IP Pool ${r.pool} was successfully split into ${r.number} smaller pools.` +
    r.created.map((c) => `Created ${c.name} with CIDR ${c.cidr}.\n`).join('') +
    'Please refer to the documentation for final steps.'
  );
}
