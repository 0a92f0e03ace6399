/**
 * The YAML 1.1 scalar rules calicoctl's reader applies (sigs.k8s.io/yaml v1.6 over
 * go.yaml.in/yaml/v2 `resolve.go`, src/codec/go-yaml-resolve.ts), as a js-yaml schema:
 * `yes/no/on/off/y/n` (three casings) are booleans; integers follow Go's strconv.ParseInt base 0
 * after dropping `_` (`0x1f`, `0o17`, `0b101`, and a leading 0 means octal: `0777` is 511); floats
 * match yaml.v2's pattern plus `.inf`/`.nan`; `~`, `null`, `Null`, `NULL` and the empty scalar are
 * null. Timestamps stay strings, as yaml.v2 keeps them when decoding into interface{}.
 */
import yaml from 'js-yaml';

import { resolvePlain, type PlainScalar } from '../codec/go-yaml-resolve.js';

/** Whether go-yaml reads this plain scalar with this tag (timestamps are not constructed: strings). */
function resolveAs(data: string | null, tag: PlainScalar['tag']): boolean {
  return data !== null && resolvePlain(data).tag === tag;
}

/** The value go-yaml gives a plain scalar that resolved as a bool, an int or a float. */
function construct(data: string): unknown {
  const r = resolvePlain(data);
  if (r.tag === 'bool' || r.tag === 'float') return r.value;
  if (r.tag === 'int')
    return r.value >= BigInt(Number.MIN_SAFE_INTEGER) && r.value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(r.value)
      : r.value;
  return null;
}

const nullType = new yaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || resolveAs(data, 'null'),
  construct: () => null,
  predicate: (o: unknown) => o === null,
  represent: () => 'null',
});

const boolType = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => resolveAs(data, 'bool'),
  construct,
  predicate: (o: unknown) => typeof o === 'boolean',
  represent: (o: object) => String(o),
});

const numberType = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => resolveAs(data, 'int') || resolveAs(data, 'float'),
  construct,
  predicate: (o: unknown) => typeof o === 'number' || typeof o === 'bigint',
  represent: (o: object) => String(o),
});

/** js-yaml schema with yaml.v2's implicit scalar types (everything else is a string). */
export const YAML11_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, numberType] });
