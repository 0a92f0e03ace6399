/** The in-memory shape of a Calico v3 object: decoded JSON in Go field names. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface ResourceObject {
  kind: string;
  apiVersion: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: unknown;
  [field: string]: unknown;
}

export const API_VERSION = 'projectcalico.org/v3';

/** One failed field, printed as libcalico-go's ErroredField. */
export interface ErroredField {
  name: string;
  /** Printed as Go's %v; undefined prints no ` = '...'` part. */
  value?: unknown;
  reason?: string;
  /** Why, in more words than Calico prints (used for the hint line, never in the message). */
  detail?: string;
}

/** Go's %v of a decoded value. */
export function goValueText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValueText).join(' ')}]`;
  if (v === null) return '<nil>';
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, x]) => `${k}:${goValueText(x)}`).join(' ')}]`;
  }
  return String(v);
}

export function erroredFieldText(f: ErroredField): string {
  let s = f.value === undefined ? f.name : `${f.name} = '${goValueText(f.value)}'`;
  if (f.reason) s += ` (${f.reason})`;
  return s;
}

/** libcalico-go ErrorValidation.Error(). */
export function validationMessage(fields: readonly ErroredField[]): string {
  if (fields.length === 0) return 'unknown validation error';
  if (fields.length === 1) return `error with field ${erroredFieldText(fields[0]!)}`;
  return 'error with the following fields:\n' + fields.map((x) => `-  ${erroredFieldText(x)}\n`).join('');
}

/** `IPPool(name)` or `NetworkPolicy(ns/name)`, as libcalico-go prints a resource key. */
export function resourceId(kind: string, name: string | undefined, namespace?: string): string {
  return namespace ? `${kind}(${namespace}/${name ?? ''})` : `${kind}(${name ?? ''})`;
}
