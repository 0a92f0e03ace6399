/**
 * Global IPAM configuration at /calico/ipam/v2/config (libcalico-go `model/ipam_config.go`,
 * `ipam/ipam.go` GetIPAMConfig/SetIPAMConfig and calicoctl `ipam configure`).
 *
 * Reading never writes: calicoctl v3.32.1 creates the key with the defaults on first read, we only
 * report the defaults (and whether the key exists). configure writes the whole value, as Calico does.
 */
import { parseGoAtoi, parseGoBool } from '../codec/go-strconv.js';
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import { updateKey, type CasDecision } from '../datastore/cas.js';
import type { Datastore, KeyValue } from '../datastore/contract.js';
import { ConflictError, InputError, OperationError } from '../errors.js';
import { IPAM_CONFIG_KEY } from './keys.js';
import { ipamConfigSchema } from './schemas.js';

export interface IPAMConfig {
  strictAffinity: boolean;
  autoAllocateBlocks: boolean;
  maxBlocksPerHost: number;
  /** `Enabled`/`Disabled`, or null when the stored value has none (Calico then means Enabled). */
  kubeVirtVMAddressPersistence: string | null;
}

export interface StoredIPAMConfig {
  config: IPAMConfig;
  /** False when the key is absent and the values are Calico's defaults. */
  stored: boolean;
  modRevision: number;
  /** The stored JSON object, kept so unknown fields survive a rewrite. */
  raw: Record<string, unknown>;
}

/** What GetIPAMConfig would create for a missing key. */
export const DEFAULT_IPAM_CONFIG: IPAMConfig = {
  strictAffinity: false,
  autoAllocateBlocks: true,
  maxBlocksPerHost: 0,
  kubeVirtVMAddressPersistence: 'Enabled',
};

export async function readIPAMConfig(ds: Datastore): Promise<StoredIPAMConfig> {
  return decodeIPAMConfig(await ds.get(IPAM_CONFIG_KEY));
}

function decodeIPAMConfig(kv: KeyValue | undefined): StoredIPAMConfig {
  if (!kv) return { config: { ...DEFAULT_IPAM_CONFIG }, stored: false, modRevision: 0, raw: {} };
  const fail = (reason: string): never => {
    throw new OperationError(`IPAM config ${IPAM_CONFIG_KEY} has a corrupt value: ${reason}`, {
      code: 'CorruptValue',
      hint: `rewrite it with 'calicoctl-ts ipam configure' or inspect it with 'etcdctl get ${IPAM_CONFIG_KEY}'`,
    });
  };
  let raw: unknown;
  try {
    raw = parseGoJson(kv.value);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const v = raw as Record<string, unknown>;
  const bool = (f: string): boolean => {
    const x = v[f];
    if (x === undefined || x === null) return false;
    if (typeof x !== 'boolean') fail(`${f} is not a boolean`);
    return x as boolean;
  };
  const max = v['maxBlocksPerHost'];
  if (max !== undefined && max !== null && !(typeof max === 'number' && Number.isInteger(max))) {
    fail('maxBlocksPerHost is not an integer');
  }
  const kubevirt = v['kubeVirtVMAddressPersistence'];
  if (kubevirt !== undefined && kubevirt !== null && typeof kubevirt !== 'string') {
    fail('kubeVirtVMAddressPersistence is not a string');
  }
  return {
    config: {
      strictAffinity: bool('strict_affinity'),
      autoAllocateBlocks: bool('auto_allocate_blocks'),
      maxBlocksPerHost: (max as number | undefined | null) ?? 0,
      kubeVirtVMAddressPersistence: (kubevirt as string | undefined | null) ?? null,
    },
    stored: true,
    modRevision: kv.modRevision,
    raw: v,
  };
}

export interface ConfigChange {
  strictAffinity?: boolean;
  maxBlocksPerHost?: number;
  kubeVirtVMAddressPersistence?: 'Enabled' | 'Disabled';
}

/** Turns calicoctl's flag strings into a change, with its messages; '' means "not given", as in calicoctl. */
export function parseConfigFlags(flags: {
  strictaffinity?: string;
  maxBlocksPerHost?: string;
  kubevirtIpPersistence?: string;
}): ConfigChange {
  const change: ConfigChange = {};
  if (flags.strictaffinity) {
    const b = parseGoBool(flags.strictaffinity);
    if (b === undefined) throw new InputError('invalid value. Use true or false to set strictaffinity');
    change.strictAffinity = b;
  }
  if (flags.maxBlocksPerHost) {
    const n = parseGoAtoi(flags.maxBlocksPerHost);
    if (n === undefined) throw new InputError('invalid value for maxblockhost. Use a valid number');
    change.maxBlocksPerHost = n;
  }
  if (flags.kubevirtIpPersistence) {
    const p = flags.kubevirtIpPersistence;
    if (p !== 'Enabled' && p !== 'Disabled') {
      throw new InputError('invalid value for --kubevirt-ip-persistence. Use Enabled or Disabled');
    }
    change.kubeVirtVMAddressPersistence = p;
  }
  if (Object.keys(change).length === 0) {
    throw new InputError('at least one configuration option must be specified', {
      hint: 'give --strictaffinity, --max-blocks-per-host or --kubevirt-ip-persistence',
    });
  }
  return change;
}

export interface ConfigureResult {
  config: IPAMConfig;
  written: boolean;
  /** calicoctl's success lines. */
  messages: string[];
}

/** Applies a change with SetIPAMConfig's rules, as one compare-and-swap update (datastore/cas.ts). */
export async function configureIPAM(
  ds: Datastore,
  change: ConfigChange,
  opts: { dryRun?: boolean } = {},
): Promise<ConfigureResult> {
  const { result } = await updateKey(
    ds,
    IPAM_CONFIG_KEY,
    (kv): CasDecision<ConfigureResult> => {
      const current = decodeIPAMConfig(kv);
      const next: IPAMConfig = { ...current.config };
      // A missing key is first created with the defaults by GetIPAMConfig, so the defaults apply.
      if (change.strictAffinity !== undefined) next.strictAffinity = change.strictAffinity;
      if (change.maxBlocksPerHost !== undefined) next.maxBlocksPerHost = change.maxBlocksPerHost;
      if (change.kubeVirtVMAddressPersistence !== undefined) {
        next.kubeVirtVMAddressPersistence = change.kubeVirtVMAddressPersistence;
      }
      if (!next.strictAffinity && !next.autoAllocateBlocks) {
        throw new InputError(
          "error: Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time",
        );
      }
      if (next.maxBlocksPerHost > 0 && !next.strictAffinity) {
        throw new InputError('error: MaxBlocksPerHost requires StrictAffinity to be enabled', {
          hint: 'add --strictaffinity=true',
        });
      }
      const messages = successLines(change);
      const unchanged = current.stored && sameConfig(current.config, next);
      if (unchanged || opts.dryRun) return { done: { config: next, written: false, messages } };

      const value = encodeGoJson(
        {
          ...current.raw,
          strict_affinity: next.strictAffinity,
          auto_allocate_blocks: next.autoAllocateBlocks,
          maxBlocksPerHost: next.maxBlocksPerHost,
          kubeVirtVMAddressPersistence: next.kubeVirtVMAddressPersistence,
        },
        ipamConfigSchema,
      );
      return { put: value, result: { config: next, written: true, messages } };
    },
    () =>
      new ConflictError(`IPAM config ${IPAM_CONFIG_KEY} kept changing while it was being updated`, {
        hint: 'run the command again',
      }),
  );
  return result;
}

function sameConfig(a: IPAMConfig, b: IPAMConfig): boolean {
  return (
    a.strictAffinity === b.strictAffinity &&
    a.autoAllocateBlocks === b.autoAllocateBlocks &&
    a.maxBlocksPerHost === b.maxBlocksPerHost &&
    a.kubeVirtVMAddressPersistence === b.kubeVirtVMAddressPersistence
  );
}

function successLines(change: ConfigChange): string[] {
  const lines: string[] = [];
  if (change.strictAffinity !== undefined)
    lines.push(`Successfully set StrictAffinity to: ${change.strictAffinity}`);
  if (change.maxBlocksPerHost !== undefined) {
    lines.push(`Successfully set MaxBlocksPerHost to: ${change.maxBlocksPerHost}`);
  }
  if (change.kubeVirtVMAddressPersistence !== undefined) {
    lines.push(`Successfully set KubeVirtVMAddressPersistence to: ${change.kubeVirtVMAddressPersistence}`);
  }
  return lines;
}

/** calicoctl's PROPERTY/VALUE rows (Go %#v of each IPAMConfig field). */
export function configRows(config: IPAMConfig): string[][] {
  return [
    ['StrictAffinity', String(config.strictAffinity)],
    ['AutoAllocateBlocks', String(config.autoAllocateBlocks)],
    ['MaxBlocksPerHost', String(config.maxBlocksPerHost)],
    [
      'KubeVirtVMAddressPersistence',
      // calicoctl prints a pointer's memory address here; we print the value it points at.
      config.kubeVirtVMAddressPersistence === null
        ? '(*ipam.VMAddressPersistence)(nil)'
        : JSON.stringify(config.kubeVirtVMAddressPersistence),
    ],
  ];
}
