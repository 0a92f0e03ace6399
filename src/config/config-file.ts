/**
 * Decodes a CalicoAPIConfig document (YAML or JSON) the way calicoctl does: sigs.k8s.io/yaml's
 * UnmarshalStrict, i.e. YAML -> JSON (numbers and booleans become strings where the field is a
 * string) -> Go encoding/json with unknown fields disallowed and case-insensitive field names.
 * Errors carry Go's texts so that scripts matching calicoctl's messages keep working.
 */
import yaml from 'js-yaml';

type FieldType = 'string' | 'datastoreType' | 'bool' | 'float32' | 'int';

/** CalicoAPIConfigSpec fields (libcalico-go/lib/apiconfig/apiconfig.go) plus our embeddedDatastorePath. */
export const SPEC_FIELDS: Readonly<Record<string, FieldType>> = {
  datastoreType: 'datastoreType',
  etcdEndpoints: 'string',
  etcdDiscoverySrv: 'string',
  etcdUsername: 'string',
  etcdPassword: 'string',
  etcdKeyFile: 'string',
  etcdCertFile: 'string',
  etcdCACertFile: 'string',
  etcdKey: 'string',
  etcdCert: 'string',
  etcdCACert: 'string',
  kubeconfig: 'string',
  k8sAPIEndpoint: 'string',
  k8sKeyFile: 'string',
  k8sCertFile: 'string',
  k8sCAFile: 'string',
  k8sAPIToken: 'string',
  k8sInsecureSkipTLSVerify: 'bool',
  k8sDisableNodePoll: 'bool',
  usePodCIDR: 'bool',
  kubeconfigInline: 'string',
  k8sClientQPS: 'float32',
  k8sClientBurst: 'int',
  k8sCurrentContext: 'string',
  calicoAPIGroup: 'string',
  embeddedDatastorePath: 'string',
};

/** k8s ObjectMeta's JSON fields: accepted in metadata, otherwise unused. */
const METADATA_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

export type SpecValue = string | boolean | number;

export interface DecodedConfigFile {
  apiVersion: string;
  kind: string;
  /** Spec values by canonical field name; absent (or null) fields are missing. */
  spec: Partial<Record<string, SpecValue>>;
}

/** Thrown with the text calicoctl puts after "failed to parse config as YAML/JSON: ". */
export class ConfigDecodeError extends Error {}

const GO_TYPE_NAMES: Record<FieldType, string> = {
  string: 'string',
  datastoreType: 'apiconfig.DatastoreType',
  bool: 'bool',
  float32: 'float32',
  int: 'int',
};

export function decodeConfigFile(text: string): DecodedConfigFile {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ConfigDecodeError(`error converting YAML to JSON: ${describeYamlError(err)}`);
  }
  const errors: string[] = [];
  const out: DecodedConfigFile = { apiVersion: '', kind: '', spec: {} };
  if (doc === null || doc === undefined) return out;
  if (!isPlainObject(doc)) {
    throw new ConfigDecodeError(
      `error unmarshaling JSON: json: cannot unmarshal ${jsonKind(doc)} into Go value of type apiconfig.CalicoAPIConfig`,
    );
  }

  for (const [key, value] of Object.entries(doc)) {
    const field = matchField(key, ['apiVersion', 'kind', 'metadata', 'spec']);
    if (field === undefined) {
      errors.push(`json: unknown field "${key}"`);
    } else if (field === 'apiVersion' || field === 'kind') {
      const s = toGoString(value);
      if (s === undefined) errors.push(typeError(value, 'CalicoAPIConfig', field, 'string'));
      else out[field] = s;
    } else if (field === 'metadata') {
      decodeMetadata(value, errors);
    } else {
      decodeSpec(value, out.spec, errors);
    }
  }
  // Go's decoder keeps going after a type error and reports the first one.
  if (errors.length > 0) throw new ConfigDecodeError(`error unmarshaling JSON: ${errors[0]}`);
  return out;
}

function decodeMetadata(value: unknown, errors: string[]): void {
  if (value === null) return;
  if (!isPlainObject(value)) {
    errors.push(typeError(value, 'CalicoAPIConfig', 'metadata', 'v1.ObjectMeta'));
    return;
  }
  for (const key of Object.keys(value)) {
    if (matchField(key, METADATA_FIELDS) === undefined) errors.push(`json: unknown field "${key}"`);
  }
}

function decodeSpec(value: unknown, spec: DecodedConfigFile['spec'], errors: string[]): void {
  if (value === null) return;
  if (!isPlainObject(value)) {
    errors.push(typeError(value, 'CalicoAPIConfig', 'spec', 'apiconfig.CalicoAPIConfigSpec'));
    return;
  }
  for (const [key, raw] of Object.entries(value)) {
    const field = matchField(key, Object.keys(SPEC_FIELDS));
    if (field === undefined) {
      errors.push(`json: unknown field "${key}"`);
      continue;
    }
    if (raw === null) continue;
    const type = SPEC_FIELDS[field] as FieldType;
    const path = `spec.${field}`;
    const wrongType = (): void => {
      errors.push(typeError(raw, 'CalicoAPIConfigSpec', path, GO_TYPE_NAMES[type]));
    };
    switch (type) {
      case 'string':
      case 'datastoreType': {
        const s = toGoString(raw);
        if (s === undefined) wrongType();
        else spec[field] = s;
        break;
      }
      case 'bool':
        if (typeof raw === 'boolean') spec[field] = raw;
        else wrongType();
        break;
      case 'float32':
        if (typeof raw === 'number') spec[field] = raw;
        else wrongType();
        break;
      case 'int':
        if (typeof raw === 'number' && Number.isInteger(raw)) spec[field] = raw;
        else if (typeof raw === 'number')
          errors.push(
            `json: cannot unmarshal number ${raw} into Go struct field CalicoAPIConfigSpec.${path} of type int`,
          );
        else wrongType();
        break;
    }
  }
}

/** Go's encoding/json: an exact field-name match first, else a case-insensitive one. */
function matchField(key: string, fields: readonly string[]): string | undefined {
  if (fields.includes(key)) return key;
  const lower = key.toLowerCase();
  return fields.find((f) => f.toLowerCase() === lower);
}

/** sigs.k8s.io/yaml turns YAML numbers and booleans into strings when the target is a string. */
function toGoString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

function typeError(value: unknown, struct: string, path: string, goType: string): string {
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${struct}.${path} of type ${goType}`;
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string' || value instanceof Date) return 'string';
  return 'object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** go-yaml's shape: "yaml: line N: reason". */
function describeYamlError(err: unknown): string {
  // js-yaml recurses per nesting level: a deep enough document overflows the stack.
  if (err instanceof RangeError) return 'yaml: exceeded max depth';
  if (err instanceof yaml.YAMLException) {
    const line = err.mark?.line;
    return line === undefined ? `yaml: ${err.reason}` : `yaml: line ${line + 1}: ${err.reason}`;
  }
  return `yaml: ${err instanceof Error ? err.message : String(err)}`;
}
