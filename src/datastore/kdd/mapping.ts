/**
 * How the Kubernetes datastore presents Calico's etcd key space over Kubernetes objects: one mapping
 * per storage shape, in a table the backend consults by key (docs/kdd.md).
 *
 * A mapping serves every key under its prefix. It says which Kubernetes collection(s) hold those
 * keys, where one key's object is (locate), what etcd key and value an object is presented as
 * (present: the exact JSON Calico's etcd backend would store for it), what object a value is written
 * as (toObject), and how the kind is written and deleted. Mappings are pure: they never call the API
 * themselves, except through the optional write hooks, which get the backend's KubeApi (deadlines,
 * error mapping and revisions are the backend's).
 *
 * Three families plug in here: the generic CRD kinds (generic.ts), the IPAM kinds (ipam.ts) and the
 * kinds stored as core Kubernetes objects (core/: Node, WorkloadEndpoint, Profile).
 */
import { compareGoStrings } from '../../codec/go-json.js';
import type { ObjectMeta } from '../../resources/types.js';

/** A Kubernetes collection: `/apis/<group>/<version>/[namespaces/<ns>/]<plural>` (`/api/v1/...` for core). */
export interface KubeCollection {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural path segment. */
  readonly plural: string;
  /** The `kind` written in request bodies (`IPPool`, `IPAMConfig`, `Node`). */
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Kubernetes ObjectMeta as JSON: the fields Calico's v3 ObjectMeta is made of (it is Kubernetes'). */
export type KubeObjectMeta = ObjectMeta;

/** A Kubernetes object as JSON (integers beyond 2^53 are bigint: parsed with parseGoJson). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** Where one key's object is. */
export interface ObjectLocation {
  readonly collection: KubeCollection;
  readonly name: string;
  readonly namespace?: string;
}

/** What an object is presented as: an etcd key and the exact value Calico's etcd backend stores there. */
export interface PresentedValue {
  readonly key: string;
  readonly value: string;
  /**
   * The mod revision reported for the key; by default the object's metadata.resourceVersion (the
   * etcd mod revision kube-apiserver keeps it at).
   */
  readonly modRevision?: number;
}

/** The outcome of one write through a mapping's hook. */
export type KubeWriteResult =
  | { ok: true; object: KubeObject }
  | { ok: false; reason: 'exists' | 'conflict' | 'missing' };

/** Preconditions of a DELETE (DeleteOptions.preconditions). */
export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * The backend's Kubernetes calls, for mappings that write in their own way (Node: PUT the status
 * subresource; WorkloadEndpoint: PATCH the pod's status). Every call has the command's deadline and
 * maps failures as the backend does (exit 3 unreachable or unauthorised, OperationError otherwise);
 * 404 is `undefined` from get and `missing` from writes, 409 is `exists` or `conflict`.
 */
export interface KubeApi {
  get(loc: ObjectLocation): Promise<KubeObject | undefined>;
  create(collection: KubeCollection, obj: KubeObject): Promise<KubeWriteResult>;
  /** PUT with obj.metadata.resourceVersion as the compare-and-swap (optionally on a subresource). */
  replace(collection: KubeCollection, obj: KubeObject, subresource?: string): Promise<KubeWriteResult>;
  patch(
    loc: ObjectLocation,
    patch: unknown,
    type: 'merge' | 'strategic-merge' | 'json',
    subresource?: string,
  ): Promise<KubeWriteResult>;
  delete(loc: ObjectLocation, preconditions?: DeletePreconditions): Promise<KubeWriteResult>;
}

/**
 * How keys listed from the API come out relative to etcd key order (lists are returned by the
 * apiserver in namespace/name order, which is not always the order of the keys presented):
 * - 'key': the order of names is the order of keys; streamed as listed.
 * - a function: true for the presented keys that come in key order and sort before every key it is
 *   false for (IPv4 blocks before IPv6 ones); the others are held and sorted, then handed out last.
 * Lists of a mapping without 'key' order therefore hold what they cannot stream (docs/kdd.md, "Lists").
 */
export type ListOrder = 'key' | ((key: string) => boolean);

/** How the kind is deleted. */
export type DeletionStyle =
  /** DELETE, with preconditions.resourceVersion when the caller compares a revision. */
  | 'plain'
  /** Calico's IPAM two-step delete: PUT `deleted: true` (CAS), then DELETE with preconditions.uid. */
  | 'two-step';

export interface KddMapping {
  /** The Calico kind, for messages: `operation Delete is not supported on <kind>(<name>)`. */
  readonly kind: string;
  /** Every key this mapping serves starts with it; prefixes of the table never overlap. */
  readonly prefix: string;
  /** The collections listed for a range over the prefix, in the order their keys sort. */
  readonly collections: readonly KubeCollection[];
  readonly listOrder: ListOrder;
  /** The object a key is stored as; undefined when no object can hold that key (it reads as missing). */
  locate(key: string): ObjectLocation | undefined;
  /**
   * The namespace every key of [start, end) is in, when the range lies within one (a namespaced
   * kind's `<prefix><namespace>/`): the backend then lists that namespace only, which is faster and
   * what a user allowed only that namespace may do.
   */
  namespaceOf?(start: string, end: string): string | undefined;
  /**
   * The key and value an object is presented as, or undefined when it is not presented (a pod that
   * is not scheduled). Throws when the object cannot be converted: a list skips it with a warning, a
   * get reports it.
   */
  present(obj: KubeObject, collection: KubeCollection): PresentedValue | undefined;
  /**
   * The key of an object that present() hides (an affinity marked deleted): a watch reports that key
   * deleted when the object changes into one it hides. Absent: present() hides nothing that had a key.
   */
  hiddenKey?(obj: KubeObject, collection: KubeCollection): string | undefined;
  /**
   * The object to write for an etcd value (as Calico's etcd backend would store it) at key. current is
   * the object now stored when the write replaces one (its uid and resourceVersion are the backend's to
   * set), undefined for a create. Throws an InputError for a value that cannot be stored this way.
   */
  toObject(key: string, value: string, current: KubeObject | undefined): KubeObject;
  /**
   * Calico refuses these operations on this kind (`operation <Op> is not supported on <Kind>(<name>)`,
   * with `: <reason>` when given). Absent: all supported.
   */
  readonly unsupported?: Partial<Record<'Create' | 'Update' | 'Delete', string | true>>;
  readonly deletion: DeletionStyle;
  /**
   * Whether a deleted-marked object (IPAM `deleted: true`, left by a two-step delete that did not
   * finish) is finished off and hidden by a get (Calico: blocks, affinities and handles on Get).
   */
  isMarkedDeleted?(obj: KubeObject): boolean;
  /** Replaces the backend's create (POST) for this kind. */
  create?(api: KubeApi, key: string, value: string): Promise<KubeWriteResult>;
  /** Replaces the backend's update (PUT with the caller's revision as resourceVersion). */
  update?(api: KubeApi, key: string, value: string, modRevision: number): Promise<KubeWriteResult>;
  /** Replaces the backend's delete. */
  delete?(api: KubeApi, key: string, modRevision: number | undefined): Promise<KubeWriteResult>;
}

/** The table the backend consults: which mapping serves a key, which mappings a range covers. */
export class MappingTable {
  private readonly sorted: readonly KddMapping[];

  constructor(mappings: readonly KddMapping[]) {
    this.sorted = [...mappings].sort((a, b) => compareGoStrings(a.prefix, b.prefix));
    for (let i = 1; i < this.sorted.length; i++) {
      const [before, after] = [this.sorted[i - 1]!, this.sorted[i]!];
      if (after.prefix.startsWith(before.prefix))
        throw new Error(`kdd mappings overlap: ${before.prefix} and ${after.prefix}`);
    }
  }

  /** The mapping serving key, or undefined (a key nothing in Kubernetes stores: it reads as missing). */
  forKey(key: string): KddMapping | undefined {
    return this.sorted.find((m) => key.startsWith(m.prefix));
  }

  /**
   * The mappings with keys in [key, rangeEnd), in key order (rangeEnd '\0' is the end of the key
   * space, as in etcd).
   */
  forRange(key: string, rangeEnd: string): KddMapping[] {
    const toEnd = rangeEnd === '\0';
    return this.sorted.filter((m) => {
      const last = prefixUpperBound(m.prefix);
      // The mapping's keys lie in [prefix, last): the ranges overlap when each starts before the other ends.
      return compareGoStrings(key, last) < 0 && (toEnd || compareGoStrings(m.prefix, rangeEnd) < 0);
    });
  }

  get all(): readonly KddMapping[] {
    return this.sorted;
  }
}

/** The first string after every string that starts with prefix (prefixes here are ASCII). */
function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
