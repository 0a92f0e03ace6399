/**
 * `patch -p`: calicoctl runs a Kubernetes strategic-merge patch, but the Calico API types carry no
 * patch-strategy tags, so it behaves as a JSON merge patch (RFC 7386): objects are merged key by
 * key, `null` removes a key, anything else (lists included) replaces the old value.
 */
import { parseGoJson } from '../codec/go-json.js';
import { InputError } from '../errors.js';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const removed = new Set(Object.keys(patch).filter((k) => patch[k] === null));
  const out: Record<string, Json> = Object.fromEntries(
    Object.entries(isObject(target) ? target : {}).filter(([k]) => !removed.has(k)),
  );
  for (const [k, v] of Object.entries(patch))
    if (v !== null) out[k] = mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v);
  return out;
}

/** Parses the -p text: it must be one JSON object. Numbers keep their exact value. */
export function parsePatch(text: string): Record<string, Json> {
  let parsed: Json;
  try {
    parsed = parseGoJson(text);
  } catch (err) {
    throw new InputError(`performing strategic merge patch: ${(err as Error).message}`, {
      code: 'InvalidPatch',
      hint: `-p takes a JSON object, e.g. -p '{"spec":{"natOutgoing":true}}'`,
    });
  }
  if (!isObject(parsed))
    throw new InputError('performing strategic merge patch: the patch must be a JSON object', {
      code: 'InvalidPatch',
      hint: `-p takes a JSON object, e.g. -p '{"spec":{"natOutgoing":true}}'`,
    });
  return parsed;
}
