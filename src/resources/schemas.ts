/**
 * What the Go struct layouts of the Calico v3 API objects are written with (projectcalico/calico
 * v3.32.1, api/pkg/apis/projectcalico/v3/*.go): each kind module (src/resources/kinds/) spells its
 * spec in field declaration order with these, so that stored JSON is byte-identical to what
 * libcalico-go writes and strict decoding rejects the fields Go would reject. Go type names are kept
 * beside the layout because decode errors quote them (`Go struct field IPPoolSpec.spec.disabled of
 * type bool`). Here too: ObjectMeta, ListMeta, the object around a spec, and the layouts two kinds
 * share.
 */
import { S, type Field, type Schema } from '../codec/go-json.js';

/** The Go type name of a schema node, for decode error messages. */
const goTypeNames = new WeakMap<Schema, string>();
/** Schemas that accept Go's numorstring.ASNumber forms (a number, "64512" or "1.10"). */
const asNumberSchemas = new WeakSet<Schema>();
/** metav1.Duration fields: text parsed and re-printed as Go's Duration.String(). */
const durationSchemas = new WeakSet<Schema>();
/**
 * Types with their own UnmarshalJSON (metav1.Time, metav1.Duration, numorstring): sigs.k8s.io/yaml
 * does not turn a YAML number or boolean into a string for them as it does for plain strings.
 */
const customUnmarshalSchemas = new WeakSet<Schema>();

export function named<T extends Schema>(schema: T, goName: string): T {
  goTypeNames.set(schema, goName);
  return schema;
}

export function goTypeName(schema: Schema): string {
  const name = goTypeNames.get(schema);
  if (name) return name;
  switch (schema.kind) {
    case 'string':
    case 'bool':
      return (schema.pointer ? '*' : '') + schema.kind;
    case 'int':
      return (schema.pointer ? '*' : '') + 'int';
    case 'float':
      return (schema.pointer ? '*' : '') + 'float64';
    case 'any':
      return 'interface {}';
    case 'struct':
      return 'struct';
    case 'map':
      return `map[string]${goTypeName(schema.value)}`;
    case 'slice':
      return `${schema.pointer ? '*' : ''}[]${goTypeName(schema.elem)}`;
  }
}

/**
 * The number-or-string types, each with its own UnmarshalJSON and MarshalJSON: numorstring.Port,
 * and numorstring.Protocol and DSCP (both Uint8OrString) from api/pkg/lib/numorstring, and
 * Kubernetes' intstr.IntOrString. Their decoded value is what their MarshalJSON writes (a number or
 * a string), so they encode as written.
 */
export type NumOrStringType = 'port' | 'protocol' | 'dscp' | 'intOrString';
const numOrStringSchemas = new WeakMap<Schema, { type: NumOrStringType; pointer: boolean }>();
const NUM_OR_STRING_GO_NAMES: Record<NumOrStringType, string> = {
  port: 'numorstring.Port',
  protocol: 'numorstring.Protocol',
  dscp: 'numorstring.DSCP',
  intOrString: 'intstr.IntOrString',
};

export function numOrString(type: NumOrStringType, pointer = false): Schema {
  const schema = named(S.any(), `${pointer ? '*' : ''}${NUM_OR_STRING_GO_NAMES[type]}`);
  numOrStringSchemas.set(schema, { type, pointer });
  return schema;
}

export function numOrStringOf(schema: Schema): { type: NumOrStringType; pointer: boolean } | undefined {
  return numOrStringSchemas.get(schema);
}

export function isASNumber(schema: Schema): boolean {
  return asNumberSchemas.has(schema);
}

export function isDuration(schema: Schema): boolean {
  return durationSchemas.has(schema);
}

export function hasCustomUnmarshal(schema: Schema): boolean {
  return customUnmarshalSchemas.has(schema) || asNumberSchemas.has(schema);
}

function customUnmarshal<T extends Schema>(schema: T): T {
  customUnmarshalSchemas.add(schema);
  return schema;
}

export function asNumber(pointer = false): Schema {
  const s = named(S.int({ pointer }), `${pointer ? '*' : ''}numorstring.ASNumber`);
  asNumberSchemas.add(s);
  return s;
}

export const f = (name: string, schema: Schema, omitempty = true): Field => ({ name, schema, omitempty });
/** A field tagged `omitzero`. */
export const fz = (name: string, schema: Schema): Field => ({ name, schema, omitzero: true });
export const str = (goName?: string, pointer = false): Schema =>
  goName ? named(S.string({ pointer }), goName) : S.string({ pointer });
export const duration = (): Schema => {
  const schema = customUnmarshal(named(S.string({ pointer: true }), '*v1.Duration'));
  durationSchemas.add(schema);
  return schema;
};
export const struct = (goName: string, fields: Field[], pointer = false): Schema =>
  named(S.struct(fields, { pointer }), goName);

/** metav1.Time: RFC 3339 text, null when zero. */
const metaTime = (pointer: boolean): Schema =>
  customUnmarshal(named(S.string({ pointer: true }), pointer ? '*v1.Time' : 'v1.Time'));

const ownerReference = struct('OwnerReference', [
  f('apiVersion', S.string(), false),
  f('kind', S.string(), false),
  f('name', S.string(), false),
  f('uid', named(S.string(), 'types.UID'), false),
  f('controller', S.bool({ pointer: true })),
  f('blockOwnerDeletion', S.bool({ pointer: true })),
]);

/** fieldsV1 is raw JSON (FieldsV1.MarshalJSON writes its bytes as they are): kept as written. */
const managedFieldsEntry = struct('ManagedFieldsEntry', [
  f('manager', S.string()),
  f('operation', str('v1.ManagedFieldsOperationType')),
  f('apiVersion', S.string()),
  f('time', metaTime(true)),
  f('fieldsType', S.string()),
  f('fieldsV1', named(S.any(), '*v1.FieldsV1')),
  f('subresource', S.string()),
]);

export const objectMetaSchema = struct('ObjectMeta', [
  f('name', S.string()),
  f('generateName', S.string()),
  f('namespace', S.string()),
  f('selfLink', S.string()),
  f('uid', named(S.string(), 'types.UID')),
  f('resourceVersion', S.string()),
  f('generation', named(S.int(), 'int64')),
  // metav1.Time with omitzero (apimachinery v0.35): absent when zero.
  f('creationTimestamp', metaTime(false)),
  f('deletionTimestamp', metaTime(true)),
  f('deletionGracePeriodSeconds', named(S.int({ pointer: true }), '*int64')),
  f('labels', S.map(S.string())),
  f('annotations', S.map(S.string())),
  f('ownerReferences', named(S.slice(ownerReference), '[]v1.OwnerReference')),
  f('finalizers', S.slice(S.string())),
  f('managedFields', named(S.slice(managedFieldsEntry), '[]v1.ManagedFieldsEntry')),
]);

export const listMetaSchema = struct('ListMeta', [
  f('selfLink', S.string()),
  f('resourceVersion', S.string()),
  f('continue', S.string()),
  f('remainingItemCount', named(S.int({ pointer: true }), '*int64')),
]);

export function resource(kind: string, spec: Schema, extra: Field[] = []): Schema {
  return struct(kind, [
    f('kind', S.string()),
    f('apiVersion', S.string()),
    f('metadata', objectMetaSchema),
    f('spec', spec, false),
    ...extra,
  ]);
}

/** The status conditions of IPPool and Tier (metav1.Condition; a zero lastTransitionTime is null). */
export const conditions = f(
  'conditions',
  named(
    S.slice(
      struct('Condition', [
        f('type', S.string(), false),
        f('status', str('v1.ConditionStatus'), false),
        f('observedGeneration', named(S.int(), 'int64')),
        f('lastTransitionTime', metaTime(false), false),
        f('reason', S.string(), false),
        f('message', S.string(), false),
      ]),
    ),
    '[]v1.Condition',
  ),
);

const secretKeyRef = struct(
  'SecretKeySelector',
  [f('name', S.string(), false), f('key', S.string(), false), f('optional', S.bool({ pointer: true }))],
  true,
);
/** The password of BGPPeer and of BGPConfiguration's node mesh. */
export const bgpPassword = struct('BGPPassword', [f('secretKeyRef', secretKeyRef)], true);

export function listSchema(listKind: string, item: Schema): Schema {
  return struct(listKind, [
    f('kind', S.string()),
    f('apiVersion', S.string()),
    f('metadata', listMetaSchema),
    f('items', S.slice(item), false),
  ]);
}
