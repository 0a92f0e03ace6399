/**
 * Calico's IPAM objects in Kubernetes (v1 mode; libcalico-go k8s/resources/ipam_block.go,
 * ipam_affinity_v1.go, ipam_handle.go, ipam_config_v1.go; kdd.md §6), presented under their etcd
 * keys with the values the etcd backend stores (model/block.go, block_affinity.go, ipam_handle.go,
 * ipam_config.go; calico.md §2):
 *
 * - a block `/calico/ipam/v2/assignment/ipv<4|6>/block/<net>-<len>` is IPAMBlock `<CIDRToName>`;
 * - an affinity `/calico/ipam/v2/<host|virtual>/<host>/ipv<4|6>/block/<net>-<len>` is BlockAffinity
 *   `<host>-<CIDRToName>` (hashed when long) with its three labels and `deleted` as a string;
 * - a handle `/calico/ipam/v2/handle/<id>` is IPAMHandle `<id lower-cased>`;
 * - `/calico/ipam/v2/config` is IPAMConfig `default`.
 *
 * Blocks, affinities and handles are deleted in Calico's two steps (mark `deleted`, then DELETE with
 * the uid); a get that meets a marked one finishes the delete and reports it missing; lists hide
 * marked affinities, as Calico's do, and show marked blocks and handles.
 */
import { encodeGoJson, parseGoJson, type GoJsonValue } from '../../codec/go-json.js';
import { InputError } from '../../errors.js';
import {
  allocationBlockSchema,
  blockAffinitySchema,
  ipamConfigSchema,
  ipamHandleSchema,
} from '../../ipam/schemas.js';
import {
  affinityKey,
  blockKey,
  blockKeyNetwork,
  HANDLE_PREFIX,
  IPAM_CONFIG_KEY,
  IPAM_PREFIX,
  parseAffinityKey,
  versionBlockPrefix,
  BLOCK_PREFIX,
  type AffinityType,
} from '../../ipam/keys.js';
import { formatCIDR, parseCIDR } from '../../resources/ip.js';
import type { KddMapping, KubeCollection, KubeObject } from './mapping.js';
import { CRD_API_VERSION, CRD_GROUP, customResourceMeta } from './metadata.js';
import { blockAffinityName, cidrToName, hostnameHash, ipamHandleName } from './names.js';

const collection = (plural: string, kind: string): KubeCollection => ({
  group: CRD_GROUP,
  version: 'v1',
  plural,
  kind,
  namespaced: false,
});

export const IPAM_BLOCKS = collection('ipamblocks', 'IPAMBlock');
export const BLOCK_AFFINITIES = collection('blockaffinities', 'BlockAffinity');
export const IPAM_HANDLES = collection('ipamhandles', 'IPAMHandle');
export const IPAM_CONFIGS = collection('ipamconfigs', 'IPAMConfig');

export const LABEL_HOSTNAME_HASH = 'projectcalico.org/hostname-hash';
export const LABEL_AFFINITY_TYPE = 'projectcalico.org/affinity-type';
export const LABEL_IP_VERSION = 'projectcalico.org/ip-version';

type Json = Record<string, GoJsonValue>;

function spec(obj: KubeObject): Json {
  return obj.spec && typeof obj.spec === 'object' && !Array.isArray(obj.spec) ? (obj.spec as Json) : {};
}

function decodeValue(key: string, value: string): Json {
  let parsed: GoJsonValue;
  try {
    parsed = parseGoJson(value);
  } catch (err) {
    throw new InputError(`cannot store ${key} in Kubernetes: ${(err as Error).message}`, {
      code: 'InvalidValue',
    });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InputError(`cannot store ${key} in Kubernetes: the value is not a JSON object`, {
      code: 'InvalidValue',
    });
  return parsed;
}

/** The CR for an IPAM object: name, Calico-owned labels, and the metadata annotation of an object without creationTimestamp. */
function ipamObject(
  kind: string,
  name: string,
  specValue: Json,
  labels?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: CRD_API_VERSION,
    kind,
    metadata: customResourceMeta(kind, labels ? { name, labels } : { name }),
    spec: specValue,
  };
}

/** The canonical text of a CIDR, as Go's IPNet.String() prints it, or undefined. */
function canonicalCIDR(text: unknown): ReturnType<typeof parseCIDR> {
  return typeof text === 'string' ? parseCIDR(text) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Blocks

/** The etcd value of a block CR (IPAMBlockV3toV1: attributes are copied into a new, non-nil slice). */
export function blockValue(s: Json): string {
  return encodeGoJson(
    {
      cidr: formatCIDR(canonicalCIDR(s.cidr)!),
      affinity: s.affinity ?? null,
      affinity_claim_time: s.affinityClaimTime ?? undefined,
      allocations: s.allocations ?? null,
      unallocated: s.unallocated ?? null,
      attributes: Array.isArray(s.attributes) ? s.attributes : [],
      sequenceNumber: s.sequenceNumber ?? 0,
      sequenceNumberForAllocation: s.sequenceNumberForAllocation ?? null,
      deleted: s.deleted === true,
    },
    allocationBlockSchema,
  );
}

/** The spec a block's etcd value is written as (IPAMBlockV1toV3). */
export function blockSpec(v: Json): Json {
  // internalapi.IPAMBlockSpec, whose field names differ from the etcd value's (affinityClaimTime).
  const out: Json = { cidr: v.cidr ?? '' };
  if (v.affinity !== null && v.affinity !== undefined) out.affinity = v.affinity;
  if (v.affinity_claim_time !== null && v.affinity_claim_time !== undefined)
    out.affinityClaimTime = v.affinity_claim_time;
  return {
    ...out,
    allocations: v.allocations ?? null,
    unallocated: v.unallocated ?? null,
    attributes: Array.isArray(v.attributes) ? v.attributes : [],
    sequenceNumber: v.sequenceNumber ?? 0,
    sequenceNumberForAllocation: v.sequenceNumberForAllocation ?? null,
    deleted: v.deleted === true,
    strictAffinity: false,
  };
}

const blocks: KddMapping = {
  kind: 'IPAMBlock',
  prefix: BLOCK_PREFIX,
  collections: [IPAM_BLOCKS],
  // Block names keep the order of their IPv4 keys (the separators all sort before digits in both);
  // IPv6 names do not, and IPv6 keys all sort after IPv4 ones.
  listOrder: (key) => key.startsWith(versionBlockPrefix(4)),
  deletion: 'two-step',
  locate(key) {
    const parsed = blockKeyNetwork(key);
    return parsed ? { collection: IPAM_BLOCKS, name: cidrToName(parsed.text) } : undefined;
  },
  present(obj) {
    const s = spec(obj);
    const cidr = canonicalCIDR(s.cidr);
    if (!cidr)
      throw new Error(
        `IPAMBlock ${obj.metadata.name ?? ''} has an invalid spec.cidr ${JSON.stringify(s.cidr)}`,
      );
    return { key: blockKey(cidr), value: blockValue(s) };
  },
  toObject(key, value) {
    const v = decodeValue(key, value);
    const parsed = blockKeyNetwork(key);
    if (!parsed) throw new InputError(`${key} is not an IPAM block key`, { code: 'InvalidKey' });
    return ipamObject('IPAMBlock', cidrToName(parsed.text), blockSpec(v));
  },
  isMarkedDeleted: (obj) => spec(obj).deleted === true,
};

// ---------------------------------------------------------------------------------------------
// Affinities

/** The labels Calico puts on a BlockAffinity (model.EnsureBlockAffinityLabels). */
export function affinityLabels(host: string, type: string, cidr: string): Record<string, string> {
  return {
    [LABEL_HOSTNAME_HASH]: hostnameHash(host),
    [LABEL_AFFINITY_TYPE]: type,
    [LABEL_IP_VERSION]: cidr.includes(':') ? '6' : '4',
  };
}

/** `deleted` is a string in v1 mode; strconv.ParseBool of a non-empty one. */
function affinityDeleted(s: Json): boolean {
  const d = s.deleted;
  if (d === undefined || d === '' || d === null) return false;
  if (typeof d === 'boolean') return d;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(String(d))) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(String(d))) return false;
  throw new Error(
    `Failed to parse deleted value as bool: strconv.ParseBool: parsing ${JSON.stringify(String(d))}: invalid syntax`,
  );
}

function affinityMapping(type: AffinityType): KddMapping {
  /** The key of an affinity of this mapping's type (whether or not it is marked deleted). */
  const keyOf = (obj: KubeObject): string | undefined => {
    const s = spec(obj);
    // Older Calico left the type empty: it means host.
    const objType = typeof s.type === 'string' && s.type !== '' ? s.type : 'host';
    const cidr = canonicalCIDR(s.cidr);
    if (!cidr)
      throw new Error(
        `BlockAffinity ${obj.metadata.name ?? ''} has an invalid spec.cidr ${JSON.stringify(s.cidr)}`,
      );
    return objType === type ? affinityKey(type, String(s.node ?? ''), cidr) : undefined;
  };
  return {
    kind: 'BlockAffinity',
    prefix: `${IPAM_PREFIX}${type}/`,
    collections: [BLOCK_AFFINITIES],
    // `<host>-<cidr>` names do not sort as `<host>/ipv4/block/<cidr>` keys.
    listOrder: () => false,
    deletion: 'two-step',
    locate(key) {
      const parsed = parseAffinityKey(key);
      const cidr = parsed && parsed.type === type ? parseCIDR(parsed.block.replace('-', '/')) : undefined;
      return parsed && cidr
        ? { collection: BLOCK_AFFINITIES, name: blockAffinityName(parsed.host, formatCIDR(cidr)) }
        : undefined;
    },
    present(obj) {
      const s = spec(obj);
      const key = keyOf(obj);
      // Calico's lists leave out affinities marked deleted.
      if (key === undefined || affinityDeleted(s)) return undefined;
      return { key, value: encodeGoJson({ state: s.state ?? '', deleted: false }, blockAffinitySchema) };
    },
    hiddenKey: (obj) => keyOf(obj),
    toObject(key, value) {
      const v = decodeValue(key, value);
      const parsed = parseAffinityKey(key);
      const cidr = parsed ? parseCIDR(parsed.block.replace('-', '/')) : undefined;
      if (!parsed || !cidr)
        throw new InputError(`${key} is not a block affinity key`, { code: 'InvalidKey' });
      const cidrText = formatCIDR(cidr);
      const affinitySpec = {
        state: v.state ?? '',
        node: parsed.host,
        type: parsed.type,
        cidr: cidrText,
        deleted: v.deleted === true ? 'true' : 'false',
      };
      return ipamObject(
        'BlockAffinity',
        blockAffinityName(parsed.host, cidrText),
        affinitySpec,
        affinityLabels(parsed.host, parsed.type, cidrText),
      );
    },
    isMarkedDeleted: (obj) => affinityDeleted(spec(obj)),
  };
}

// ---------------------------------------------------------------------------------------------
// Handles

const handles: KddMapping = {
  kind: 'IPAMHandle',
  prefix: HANDLE_PREFIX,
  collections: [IPAM_HANDLES],
  // Names are the IDs lower-cased: IDs with capitals sort elsewhere.
  listOrder: () => false,
  deletion: 'two-step',
  locate(key) {
    const id = key.slice(HANDLE_PREFIX.length);
    return id !== '' && !id.includes('/')
      ? { collection: IPAM_HANDLES, name: ipamHandleName(id) }
      : undefined;
  },
  present(obj) {
    const s = spec(obj);
    const id = typeof s.handleID === 'string' ? s.handleID : '';
    if (id === '') throw new Error(`IPAMHandle ${obj.metadata.name ?? ''} has no spec.handleID`);
    return {
      key: HANDLE_PREFIX + id,
      value: encodeGoJson({ block: s.block ?? null, deleted: s.deleted === true }, ipamHandleSchema),
    };
  },
  toObject(key, value) {
    const v = decodeValue(key, value);
    const id = key.slice(HANDLE_PREFIX.length);
    return ipamObject('IPAMHandle', ipamHandleName(id), {
      handleID: id,
      block: v.block ?? null,
      deleted: v.deleted === true,
    });
  },
  isMarkedDeleted: (obj) => spec(obj).deleted === true,
};

// ---------------------------------------------------------------------------------------------
// Configuration

export const IPAM_CONFIG_NAME = 'default';

const config: KddMapping = {
  kind: 'IPAMConfig',
  prefix: IPAM_CONFIG_KEY,
  collections: [IPAM_CONFIGS],
  listOrder: 'key',
  deletion: 'plain',
  locate: (key) =>
    key === IPAM_CONFIG_KEY ? { collection: IPAM_CONFIGS, name: IPAM_CONFIG_NAME } : undefined,
  present(obj) {
    if (obj.metadata.name !== IPAM_CONFIG_NAME) return undefined;
    const s = spec(obj);
    const value = encodeGoJson(
      {
        strict_affinity: s.strictAffinity === true,
        auto_allocate_blocks: s.autoAllocateBlocks === true,
        maxBlocksPerHost: s.maxBlocksPerHost ?? 0,
        kubeVirtVMAddressPersistence: s.kubeVirtVMAddressPersistence ?? undefined,
      },
      ipamConfigSchema,
    );
    return { key: IPAM_CONFIG_KEY, value };
  },
  toObject(key, value) {
    const v = decodeValue(key, value);
    const configSpec: Json = {
      strictAffinity: v.strict_affinity === true,
      autoAllocateBlocks: v.auto_allocate_blocks === true,
    };
    if (typeof v.maxBlocksPerHost === 'number' && v.maxBlocksPerHost !== 0)
      configSpec.maxBlocksPerHost = v.maxBlocksPerHost;
    if (typeof v.kubeVirtVMAddressPersistence === 'string')
      configSpec.kubeVirtVMAddressPersistence = v.kubeVirtVMAddressPersistence;
    return ipamObject('IPAMConfig', IPAM_CONFIG_NAME, configSpec);
  },
};

export function ipamMappings(): KddMapping[] {
  return [blocks, affinityMapping('host'), affinityMapping('virtual'), handles, config];
}
