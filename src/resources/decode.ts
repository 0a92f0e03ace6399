/**
 * Strict decoding of a parsed document (YAML or JSON) into the Go struct layout of a kind, as
 * sigs.k8s.io/yaml UnmarshalStrict does in calicoctl: unknown fields and wrong types are errors
 * with Go's wording; keys match case-insensitively like encoding/json; null leaves a field unset.
 * The result is a plain value ready for encodeGoJson with the same schema.
 */
import type { Schema } from '../codec/go-json.js';
import { formatShortest } from '../codec/go-float.js';
import { DurationError, formatGoDuration, parseGoDuration } from '../codec/go-duration.js';
import {
  goTypeName,
  hasCustomUnmarshal,
  isASNumber,
  isDuration,
  numOrStringOf,
  type NumOrStringType,
} from './schemas.js';

export class DecodeError extends Error {
  constructor(
    message: string,
    /** The offending field name for unknown-field errors (calicoctl rewrites those messages). */
    readonly unknownField?: string,
  ) {
    super(message);
  }
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  uint8: [0n, 255n],
  '*uint8': [0n, 255n],
  uint16: [0n, 65535n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  '*int32': [-(2n ** 31n), 2n ** 31n - 1n],
  'numorstring.ASNumber': [0n, 2n ** 32n - 1n],
  '*numorstring.ASNumber': [0n, 2n ** 32n - 1n],
};
const INT64: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

interface Ctx {
  /** Innermost Go struct type name. */
  struct: string;
  /** Dotted JSON path from the top (Go's UnmarshalTypeError.Field). */
  path: string;
}

function typeError(value: string, type: Schema | string, ctx: Ctx): DecodeError {
  const where = ctx.path ? `Go struct field ${ctx.struct}.${ctx.path}` : `Go value`;
  // Go names the type a pointer points to: the decoder has already allocated it.
  const typeName = (typeof type === 'string' ? type : goTypeName(type)).replace(/^\*/, '');
  return new DecodeError(`json: cannot unmarshal ${value} into ${where} of type ${typeName}`);
}

/** "64512" or "1.10" (asdot) as numorstring.ASNumber accepts them. */
function parseASNumberText(text: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  if (m[2] === undefined) return BigInt(m[1]!);
  const hi = BigInt(m[1]!);
  const lo = BigInt(m[2]);
  if (hi > 65535n || lo > 65535n) return undefined;
  return (hi << 16n) | lo;
}

function toInt(v: unknown, schema: Schema, ctx: Ctx): number | bigint {
  if (typeof v === 'string' && isASNumber(schema)) {
    const n = parseASNumberText(v);
    if (n === undefined) throw new DecodeError(`json: invalid AS Number format: ${v}`);
    return checkedInt(n, goTypeName(schema), ctx);
  }
  return checkedInt(v, goTypeName(schema), ctx);
}

/** A JSON number decoded into the Go integer type `typeName`, with Go's error when it does not fit. */
function checkedInt(v: unknown, typeName: string, ctx: Ctx): number | bigint {
  let n: bigint;
  if (typeof v === 'bigint') {
    n = v;
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw typeError(`number ${v}`, typeName, ctx);
    n = BigInt(v);
  } else {
    throw typeError(jsonKind(v), typeName, ctx);
  }
  const [min, max] = INT_RANGES[typeName] ?? INT64;
  if (n < min || n > max) throw typeError(`number ${n}`, typeName, ctx);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const PORT_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const MAX_PORT = 65535;

/** numorstring.PortFromString, kept as Port.MarshalJSON writes it: a number, "min:max" or a name. */
function portFromString(s: string): number | string {
  if (/^\d+$/.test(s)) {
    const port = Number(s);
    if (port > MAX_PORT) throw new DecodeError(`invalid port format (${s})`);
    return port;
  }
  const range = /^(\d+):(\d+)$/.exec(s);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min > MAX_PORT) throw new DecodeError(`invalid minimum port number in range (${s})`);
    if (max > MAX_PORT) throw new DecodeError(`invalid maximum port number in range (${s})`);
    if (min > max)
      throw new DecodeError(
        `minimum port number (${min}) is greater than maximum port number (${max}) in port range`,
      );
    return min === max ? min : `${min}:${max}`;
  }
  if (!PORT_NAME.test(s)) throw new DecodeError(`invalid name for named port (${s})`);
  return s;
}

const NUM_OR_STRING_INT: Record<NumOrStringType, string> = {
  port: 'uint16',
  protocol: 'uint8',
  dscp: 'uint8',
  intOrString: 'int32',
};

/**
 * The UnmarshalJSON of numorstring.Port, numorstring.Protocol (Uint8OrString) and
 * intstr.IntOrString, giving what their MarshalJSON writes back: a Port string is parsed ("80" is
 * stored as 80, "80:80" as 80), a Uint8OrString (Protocol, DSCP) string of digits up to 255
 * becomes a number, an
 * IntOrString keeps its JSON type. A JSON null reaches UnmarshalJSON of a non-pointer value and
 * leaves the zero value, written as 0.
 */
function decodeNumOrString(v: unknown, type: NumOrStringType, ctx: Ctx): number | string {
  if (typeof v === 'string') {
    if (type === 'port') return portFromString(v);
    if ((type === 'protocol' || type === 'dscp') && /^\d+$/.test(v) && Number(v) <= 255) return Number(v);
    return v;
  }
  if (v === null) return 0;
  return Number(checkedInt(v, NUM_OR_STRING_INT[type], ctx));
}

/** What convertToJSONableObject writes for a scalar aimed at a Go string. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v !== 'number') return undefined;
  if (Number.isInteger(v)) return String(v);
  // strconv.FormatFloat(v, 'g', -1, 32): shortest text of the float32 value.
  return formatShortest(v, 32);
}

/** metav1.Duration.UnmarshalJSON: a string Go's time.ParseDuration accepts, kept as Go prints it. */
function decodeDuration(v: unknown): string {
  if (typeof v !== 'string')
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
  try {
    return formatGoDuration(parseGoDuration(v));
  } catch (err) {
    if (err instanceof DurationError) throw new DecodeError(err.message);
    throw err;
  }
}

/** What a JSON null leaves in a slice element: Go's zero value of the element type. */
function zeroElement(schema: Schema): unknown {
  switch (schema.kind) {
    case 'string':
      return schema.pointer ? null : '';
    case 'bool':
      return schema.pointer ? null : false;
    case 'int':
    case 'float':
      return schema.pointer ? null : 0;
    case 'struct':
      return schema.pointer ? null : {};
    case 'any':
    case 'map':
    case 'slice':
      return null;
  }
}

export function decodeValue(v: unknown, schema: Schema, ctx: Ctx): unknown {
  const numOrString = numOrStringOf(schema);
  if (numOrString && v !== undefined && !(v === null && numOrString.pointer))
    return decodeNumOrString(v, numOrString.type, ctx);
  if (v === null || v === undefined) return undefined;
  switch (schema.kind) {
    case 'string':
      if (isDuration(schema)) return decodeDuration(v);
      if (typeof v !== 'string') {
        // sigs.k8s.io/yaml turns a YAML number or boolean into text when the target is a string.
        const text = hasCustomUnmarshal(schema) ? undefined : scalarText(v);
        if (text === undefined) throw typeError(jsonKind(v), schema, ctx);
        return text;
      }
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(jsonKind(v), schema, ctx);
      return v;
    case 'int':
      return toInt(v, schema, ctx);
    case 'float':
      if (typeof v === 'bigint') return Number(v);
      if (typeof v !== 'number') throw typeError(jsonKind(v), schema, ctx);
      return v;
    case 'any':
      return v;
    case 'slice': {
      if (!Array.isArray(v)) throw typeError(jsonKind(v), schema, ctx);
      return v.map((x) => decodeValue(x, schema.elem, ctx) ?? zeroElement(schema.elem));
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) throw typeError(jsonKind(v), schema, ctx);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        out[k] = decodeValue(x, schema.value, ctx) ?? (schema.value.kind === 'string' ? '' : null);
      }
      return out;
    }
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) throw typeError(jsonKind(v), schema, ctx);
      const structName = goTypeName(schema).replace(/^\*/, '');
      const out: Record<string, unknown> = {};
      for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
        const field =
          schema.fields.find((fd) => fd.name === key) ??
          schema.fields.find((fd) => fd.name.toLowerCase() === key.toLowerCase());
        if (!field) throw new DecodeError(`json: unknown field "${key}"`, key);
        const decoded = decodeValue(x, field.schema, {
          struct: structName,
          path: ctx.path ? `${ctx.path}.${field.name}` : field.name,
        });
        if (decoded !== undefined) out[field.name] = decoded;
      }
      for (const field of schema.fields) {
        // A non-pointer number-or-string left out is its zero value, which Go writes as 0.
        const numOrString = numOrStringOf(field.schema);
        if (numOrString && !numOrString.pointer && !(field.name in out)) out[field.name] = 0;
      }
      return out;
    }
  }
}

/** Decodes a whole object of the given kind's schema (the top-level struct). */
export function decodeResource(v: unknown, schema: Schema): Record<string, unknown> {
  return decodeValue(v, schema, { struct: goTypeName(schema), path: '' }) as Record<string, unknown>;
}
