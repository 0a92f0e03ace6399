/**
 * What the utilization tables need from a block: its network, affinity and how many ordinals are
 * free. A /26 block with attributes is ~10 KB of JSON and a large cluster has 10,000 of them, so the
 * common shape Calico writes is scanned for just those three fields; anything unusual falls back to
 * the full decoder (which also reports corrupt values by key).
 */
import type { KeyValue } from '../datastore/contract.js';
import { valueHead } from '../datastore/value-head.js';
import { parseCIDR } from '../resources/ip.js';
import type { Network } from './block-key.js';
import { decodeBlock } from './block.js';

/** Enough for the head of a /26 or /122 block (64 allocations); larger blocks take the full decoder. */
const HEAD_BYTES = 2048;

export interface BlockSummary {
  key: string;
  net: Network;
  affinity: string | null;
  /** len(unallocated): in use = capacity - free (Windows-reserved addresses count as in use). */
  free: number;
}

/**
 * The head of a block exactly as Go writes it: cidr, affinity, optional affinity_claim_time, then
 * allocations (integers and nulls only) and unallocated. Anchored at the start, so only the first
 * few hundred bytes are looked at, and every field matched is a top-level one.
 */
const CALICO_HEAD =
  /^\{"cidr":"([^"\\]*)","affinity":(null|"[^"\\]*")(?:,"affinity_claim_time":(?:null|"[^"\\]*"))?,"allocations":(?:null|\[[0-9nul,]*\]),"unallocated":(?:null|\[([0-9,]*)\])[,}]/;

/**
 * The summary from the head of a block in Calico's own layout, or undefined for any other layout.
 * text may be only the start of the value (lastChar is then the value's last character code): the
 * pattern is anchored and its match is unique, so a match in the start is the match in the whole.
 */
export function scanBlockHead(
  text: string,
  lastChar = text.charCodeAt(text.length - 1),
  expected?: ExpectedNetwork,
): Omit<BlockSummary, 'key'> | undefined {
  if (lastChar !== 0x7d) return undefined; // '}': not truncated
  const m = CALICO_HEAD.exec(text);
  if (!m) return undefined;
  const cidrText = m[1]!;
  const cidr = expected && cidrText === expected.text ? expected.net : parseCIDR(cidrText);
  if (!cidr) return undefined;
  const aff = m[2]!;
  const list = m[3];
  let free = 0;
  if (list) {
    if (!/^\d+(?:,\d+)*$/.test(list)) return undefined;
    free = 1;
    for (let i = 0; i < list.length; i++) if (list.charCodeAt(i) === 0x2c) free++;
  }
  return {
    net: cidr === expected?.net ? cidr : { network: cidr.network, prefix: cidr.prefix },
    // A substring would keep the whole value (~9 KB) alive for as long as the summary lives.
    affinity: aff === 'null' ? null : Buffer.from(aff.slice(1, -1), 'utf8').toString('utf8'),
    free,
  };
}

/**
 * The network a block's value most likely holds (the one its key names) and that network's text:
 * a value whose cidr is exactly this text gets this very object as its net, without a second parse.
 */
export interface ExpectedNetwork {
  text: string;
  net: Network;
}

/** Summarises a stored block; throws CorruptBlockError (naming the key) for a value Calico would reject. */
export function summarizeBlock(kv: KeyValue, expected?: ExpectedNetwork): BlockSummary {
  const head = valueHead(kv, HEAD_BYTES);
  const quick = scanBlockHead(head.text, head.lastByte, expected);
  if (quick) return { key: kv.key, ...quick };
  const full = decodeBlock(kv);
  return {
    key: kv.key,
    net: full.net,
    affinity: full.value.affinity,
    free: full.value.unallocated?.length ?? 0,
  };
}
