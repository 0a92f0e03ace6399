/**
 * A stored resource value as every reader sees it: Go's JSON parsed with exact integers,
 * metadata.resourceVersion set to the key's mod revision, the kind's read defaults filled in. Apart
 * from the registry, so that readers of one kind (src/resources/kinds/) need not load it.
 */
import { parseGoJson } from '../codec/go-json.js';
import type { KeyValue } from '../datastore/contract.js';
import type { ResourceObject } from './types.js';

export function decodeStored(kv: KeyValue, readDefaults?: (res: ResourceObject) => void): ResourceObject {
  const res = parseGoJson(kv.value) as unknown as ResourceObject;
  if (!res || typeof res !== 'object' || Array.isArray(res)) throw new Error('not an object');
  res.metadata ??= {};
  res.metadata.resourceVersion = String(kv.modRevision);
  readDefaults?.(res);
  return res;
}
