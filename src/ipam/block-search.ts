/**
 * Where to look for a block (libcalico-go `ipam/ipam_block_reader_writer.go` randomBlockGenerator,
 * findUsableBlock): the blocks of a pool are visited in a ring starting at a per-node index, so
 * nodes starting at the same time spread over the pool. Calico draws that index from Go's math/rand
 * seeded with the FNV-1 hash of the node name; we use the hash itself (deterministic per node, same
 * spreading), and a random start for single-address blocks, as Calico does.
 */
import type { Datastore } from '../datastore/contract.js';
import { randomInt } from 'node:crypto';
import { bitsOf, networkText, parseBlockKey, versionBlockPrefix, type Network } from './keys.js';
import { decodeBlock } from './block.js';
import { summarizeBlock } from './block-summary.js';
import { numFreeAddresses } from './block-assign.js';
import type { PoolInfo } from './pools.js';
import type { Reservations } from './reservations.js';
import type { IPVersion } from '../resources/ip.js';

/** Go's hash/fnv New32 (FNV-1, 32 bit). */
export function fnv1_32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash;
}

interface PoolRing {
  pool: Network;
  blockSize: number;
  numBlocks: bigint;
  start: bigint;
}

function ringOf(pool: PoolInfo, node: string): PoolRing | undefined {
  const net = pool.net;
  if (!net || pool.blockSize < net.prefix) return undefined;
  const numBlocks = 1n << BigInt(pool.blockSize - net.prefix);
  const bits = bitsOf(net.network.version);
  const start =
    pool.blockSize === bits
      ? BigInt(randomInt(0, Number(numBlocks > 0xffffffffffffn ? 0xffffffffffffn : numBlocks)))
      : BigInt(fnv1_32(node)) % numBlocks;
  return { pool: net, blockSize: pool.blockSize, numBlocks, start };
}

function blockAt(ring: PoolRing, index: bigint): Network {
  const host = BigInt(bitsOf(ring.pool.network.version) - ring.blockSize);
  return {
    network: { version: ring.pool.network.version, value: ring.pool.network.value + (index << host) },
    prefix: ring.blockSize,
  };
}

/** Every block-sized network of the pool, in the node's ring order (randomBlockGenerator). */
export function* poolBlocks(pool: PoolInfo, node: string): Generator<Network> {
  const ring = ringOf(pool, node);
  if (!ring) return;
  for (let i = 0n; i < ring.numBlocks; i++) yield blockAt(ring, (ring.start + i) % ring.numBlocks);
}

/** The position of an existing block in the node's ring of the pool, or undefined when outside it. */
function ringPosition(ring: PoolRing, net: Network): bigint | undefined {
  if (net.prefix !== ring.blockSize || net.network.version !== ring.pool.network.version) return undefined;
  const host = BigInt(bitsOf(net.network.version) - ring.blockSize);
  const index = (net.network.value - ring.pool.network.value) >> host;
  if (index < 0n || index >= ring.numBlocks) return undefined;
  return (index - ring.start + ring.numBlocks) % ring.numBlocks;
}

export interface KnownBlock {
  net: Network;
  affinity: string | null;
  /** Free addresses that are not reserved (NumFreeAddresses); 0 for a value that cannot be decoded. */
  free: number;
}

/**
 * What findUsableBlock needs to know of the existing blocks of one family, read once and then kept
 * up to date with this process's own writes; refreshed after losing a claim to someone else.
 */
export class BlockDirectory {
  private blocks: Map<string, KnownBlock> | undefined;

  constructor(
    private readonly ds: Datastore,
    private readonly version: IPVersion,
    private readonly reservations: Reservations,
  ) {}

  async load(): Promise<Map<string, KnownBlock>> {
    if (this.blocks) return this.blocks;
    const blocks = new Map<string, KnownBlock>();
    for await (const kv of await this.ds.list(versionBlockPrefix(this.version))) {
      const keyNet = parseBlockKey(kv.key);
      if (!keyNet) continue;
      let known: KnownBlock;
      try {
        const filter = this.reservations.ordinalFilter(keyNet);
        if (filter) {
          const full = decodeBlock(kv).value;
          known = { net: keyNet, affinity: full.affinity, free: numFreeAddresses(full, filter) };
        } else {
          const s = summarizeBlock(kv);
          known = { net: keyNet, affinity: s.affinity, free: s.free };
        }
      } catch {
        // A value Calico could not decode either: the block exists, but nothing can be taken from it.
        known = { net: keyNet, affinity: null, free: 0 };
      }
      blocks.set(networkText(keyNet), known);
    }
    this.blocks = blocks;
    return blocks;
  }

  invalidate(): void {
    this.blocks = undefined;
  }

  /** Records what this process just wrote (or read fresh). */
  note(block: KnownBlock): void {
    this.blocks?.set(networkText(block.net), block);
  }

  /**
   * findUsableBlock without the empty-block reclaim: the first network in the pools' rings that has
   * no block yet, or whose block is affine to the node and has free addresses.
   */
  async findUsable(pools: readonly PoolInfo[], node: string, affinity: string): Promise<Network | undefined> {
    const blocks = await this.load();
    for (const pool of pools) {
      for (const net of poolBlocks(pool, node)) {
        if (this.reservations.matchesWholeCIDR(net)) continue;
        const info = blocks.get(networkText(net));
        if (!info) return net;
        if (info.affinity === affinity && info.free !== 0) return net;
      }
    }
    return undefined;
  }

  /** The existing blocks of a pool with free addresses, in the node's ring order (the borrowing hunt). */
  async existingInRing(pool: PoolInfo, node: string): Promise<Network[]> {
    const ring = ringOf(pool, node);
    if (!ring) return [];
    const blocks = await this.load();
    const found: [bigint, Network][] = [];
    for (const info of blocks.values()) {
      const pos = ringPosition(ring, info.net);
      if (pos !== undefined && info.free > 0) found.push([pos, info.net]);
    }
    return found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, net]) => net);
  }
}
