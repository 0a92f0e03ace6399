/**
 * Calico v3 object metadata <-> the metadata of the custom resource it is stored as (v1 mode,
 * libcalico-go k8s/resources/resources.go ConvertCalicoResourceToK8sResource and
 * ConvertK8sResourceToCalicoResource, k8s/conversion ConvertUID; kdd.md §3.2-3.4):
 *
 * - The CR's uid is ConvertUID of the v3 uid (and back on read); labels and annotations on the CR
 *   are only the Calico-owned ones (`projectcalico.org/`, `operator.tigera.io/`);
 * - annotation `projectcalico.org/metadata` holds the rest of the v3 ObjectMeta as JSON (jsoniter,
 *   compatible with encoding/json: ObjectMeta field order, sorted maps, HTML escaping, and a zero
 *   creationTimestamp written as null), without namespace, resourceVersion and uid, and without the
 *   name except for the four policy kinds.
 */
import { encodeGoJson, parseGoJson, S, type Field, type Schema } from '../../codec/go-json.js';
import { objectMetaSchema } from '../../resources/schemas.js';
import type { ObjectMeta } from '../../resources/types.js';
import type { KubeObject, KubeObjectMeta } from './mapping.js';

/** ObjectMeta fields the CR itself decides on read (the annotation's are replaced or merged). */
const CR_OWNED_FIELDS = new Set([
  'name',
  'namespace',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'labels',
  'annotations',
]);

export const METADATA_ANNOTATION = 'projectcalico.org/metadata';
export const CRD_GROUP = 'crd.projectcalico.org';
export const CRD_API_VERSION = 'crd.projectcalico.org/v1';
const V3_API_VERSION = 'projectcalico.org/v3';

/** The kinds whose name is kept in the metadata annotation (v3.30+ stores policies under their own name). */
export const POLICY_KINDS: ReadonlySet<string> = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
]);

/**
 * k8s/conversion ConvertUID: every byte of the UUID bit-reversed except bytes 6 and 8 (version and
 * variant); its own inverse. Throws on text that is not a UUID (Calico's uuid.Parse fails too).
 */
export function convertUID(uid: string): string {
  const hex = uid.replace(/^urn:uuid:|^\{|\}$/g, '').replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`invalid UUID ${JSON.stringify(uid)}`);
  const bytes = Buffer.from(hex, 'hex');
  for (let i = 0; i < 16; i++) if (i !== 6 && i !== 8) bytes[i] = reverseBits(bytes[i]!);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** resources.go isOurs: labels and annotations Calico keeps on the CR itself. */
export function isCalicoOwned(key: string): boolean {
  return key.includes('projectcalico.org/') || key.includes('operator.tigera.io/');
}

/** The annotation's ObjectMeta as jsoniter writes it: creationTimestamp null when zero, never omitted. */
const annotationMetaSchema: Schema = S.struct(
  objectMetaSchema.kind === 'struct'
    ? objectMetaSchema.fields.map(
        (f): Field =>
          f.name === 'creationTimestamp' ? { name: f.name, schema: S.string({ pointer: true }) } : f,
      )
    : [],
);

interface OwnerReference {
  apiVersion?: string;
  uid?: string;
  [field: string]: unknown;
}

function convertOwners(refs: unknown, from: string, to: string): unknown {
  if (!Array.isArray(refs)) return refs;
  return refs.map((ref: OwnerReference) =>
    ref && ref.apiVersion === from && typeof ref.uid === 'string'
      ? { ...ref, apiVersion: to, uid: convertUID(ref.uid) }
      : ref,
  );
}

function owned(map: Record<string, string> | undefined): Record<string, string> | undefined {
  const entries = Object.entries(map ?? {}).filter(([k]) => isCalicoOwned(k));
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * The metadata of the CR a v3 object is stored as (uid converted; resourceVersion as given, which a
 * PUT compares). kind is the v3 kind: policies keep their name in the annotation.
 */
export function customResourceMeta(kind: string, meta: ObjectMeta): KubeObjectMeta {
  const copy: Record<string, unknown> = {
    ...meta,
    namespace: undefined,
    resourceVersion: undefined,
    uid: undefined,
  };
  if (!POLICY_KINDS.has(kind)) copy.name = undefined;
  if (copy.ownerReferences !== undefined)
    copy.ownerReferences = convertOwners(copy.ownerReferences, V3_API_VERSION, CRD_API_VERSION);
  const out: KubeObjectMeta = { name: meta.name ?? '' };
  if (meta.namespace) out.namespace = meta.namespace;
  if (meta.resourceVersion) out.resourceVersion = meta.resourceVersion;
  if (meta.uid) out.uid = convertUID(meta.uid);
  const labels = owned(meta.labels);
  if (labels) out.labels = labels;
  out.annotations = {
    ...owned(meta.annotations),
    [METADATA_ANNOTATION]: encodeGoJson(copy, annotationMetaSchema),
  };
  return out;
}

/**
 * The v3 ObjectMeta of a CR (ConvertK8sResourceToCalicoResource): the annotation's metadata, with
 * name, namespace, resourceVersion and the converted uid from the CR, the CR's labels and annotations
 * under the annotation's own, and the CR's creationTimestamp when the annotation has none.
 */
export function calicoMeta(cr: KubeObject): ObjectMeta {
  const m = cr.metadata;
  const text = m.annotations?.[METADATA_ANNOTATION];
  const uid = m.uid ? convertUID(m.uid) : undefined;
  if (text === undefined) {
    const meta: ObjectMeta = { ...(m as ObjectMeta) };
    if (uid) meta.uid = uid;
    return meta;
  }
  let stored: Record<string, unknown>;
  try {
    const parsed = parseGoJson(text);
    stored =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
  } catch (err) {
    throw new Error(
      `CRD annotation "${METADATA_ANNOTATION}" contained invalid JSON: ${(err as Error).message}`,
    );
  }
  const rest = Object.entries(stored).filter(([f]) => !CR_OWNED_FIELDS.has(f));
  const meta: ObjectMeta = Object.fromEntries(rest);
  if (typeof stored.name === 'string' && stored.name !== '') meta.name = stored.name;
  else if (m.name !== undefined) meta.name = m.name;
  if (m.namespace) meta.namespace = m.namespace;
  if (m.resourceVersion) meta.resourceVersion = m.resourceVersion;
  if (uid) meta.uid = uid;
  const created =
    typeof stored.creationTimestamp === 'string' ? stored.creationTimestamp : m.creationTimestamp;
  if (created) meta.creationTimestamp = created;
  const labels = { ...m.labels, ...(stored.labels as Record<string, string> | undefined) };
  if (Object.keys(labels).length > 0) meta.labels = labels;
  const crAnnotations = Object.entries(m.annotations ?? {}).filter(([k]) => k !== METADATA_ANNOTATION);
  const annotations = {
    ...Object.fromEntries(crAnnotations),
    ...(stored.annotations as Record<string, string> | undefined),
  };
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  if (meta.ownerReferences !== undefined)
    meta.ownerReferences = convertOwners(meta.ownerReferences, CRD_API_VERSION, V3_API_VERSION);
  return meta;
}
