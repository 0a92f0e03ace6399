/**
 * The checks `ipam check` makes that calicoctl v3.32.1 does not. Each sees what calicoctl's part
 * reads as it streams by (visitors), keeps what it needs, and once everything is read returns its
 * findings; a section is printed after `Check complete; found N problems.` only when it found
 * something, and its findings go under their own key of the JSON summary's `extraProblems`.
 * A new check implements ExtraCheck and is added to extraChecks().
 */
import type { KeyValue } from '../datastore/contract.js';
import { cidrContains, formatCIDR, formatIP, parseCIDR, type IPAddr } from '../resources/ip.js';
import { bitsOf, ordinalToIP, parseAffinityKey, type Network } from './keys.js';
import { validateBlock } from './block-validate.js';
import type { CheckBlock } from './check-blocks.js';
import type { RejectedBlock } from './check-values.js';
import {
  compareHeld,
  pendingAffinitiesWithoutBlock,
  type HandleCountMismatch,
  type HeldAddresses,
} from './consistency.js';
import { decodeHandle, parseHandleKey } from './handles.js';

export interface ExtraCheckContext {
  /** The networks of the enabled pools. */
  activePools: readonly Network[];
  /** Names of the Nodes that exist. */
  nodes: ReadonlySet<string>;
  /** Collect the lists for the JSON summary (text output only needs counts and lines). */
  collect: boolean;
  showProblemIPs: boolean;
}

export interface ExtraFindings {
  problemCount: number;
  /** The section: a heading, the problem lines, and a `Found N ...` line. */
  lines: string[];
  /** Merged into the JSON summary's `extraProblems`: one key per kind of problem. */
  json: Record<string, unknown>;
}

/** A handle the blocks hold addresses for, as the handle listing reads it. */
export interface ListedHandle {
  /** Its key (parseHandleKey gives the ID) and value, valid only during the call. */
  kv: KeyValue;
  /** What the blocks hold for it. */
  held: HeldAddresses;
}

export interface ExtraCheck {
  /** Each block calicoctl's part reads, in key order. */
  block?(block: CheckBlock): void;
  /** Each block the check refuses to number (see RejectedBlock). */
  rejectedBlock?(block: RejectedBlock): void;
  /**
   * Each handle whose value can be read, that the blocks hold addresses for, and whose value is not
   * the usual one-address form for what they hold (consistency.ts matchesOneAddress), in key order:
   * nearly every handle is in that form, and is not visited.
   */
  handle?(handle: ListedHandle): void;
  /** Each key under /calico/ipam/v2/host/ (block affinities); valid only during the call. */
  affinity?(kv: KeyValue): void;
  finish(ctx: ExtraCheckContext): ExtraFindings;
}

/** Structurally invalid blocks: Calico HEAD's validateBlock, and blocks the check refused. */
class InvalidBlocks implements ExtraCheck {
  private readonly found: { key: string; label: string; reason: string }[] = [];

  block(b: CheckBlock): void {
    const reason = validateBlock({ net: b.net, value: b });
    if (reason) this.found.push({ key: b.key, label: `BlockKey(cidr=${b.cidr})`, reason });
  }

  rejectedBlock(b: RejectedBlock): void {
    this.found.push(b);
  }

  finish(): ExtraFindings {
    return {
      problemCount: this.found.length,
      lines: [
        'Validating IPAMBlock structures...',
        ...this.found.map((b) => `  IPAMBlock ${b.label} is invalid: ${b.reason}`),
        `Found ${this.found.length} invalid IPAMBlocks.`,
      ],
      json: { invalidBlocks: this.found.map(({ key, reason }) => ({ key, reason })) },
    };
  }
}

/** Blocks and affinities of nodes that no longer exist. */
class OrphanedOwnership implements ExtraCheck {
  private readonly blocks: { block: string; node: string }[] = [];
  private readonly affinities: { key: string; node: string }[] = [];

  block(b: CheckBlock): void {
    const affinity = b.affinity;
    if (affinity?.startsWith('host:')) this.blocks.push({ block: b.cidr, node: affinity.slice(5) });
  }

  affinity(kv: KeyValue): void {
    const node = parseAffinityKey(kv.key)?.host;
    if (node !== undefined) this.affinities.push({ key: kv.key, node });
  }

  finish(ctx: ExtraCheckContext): ExtraFindings {
    const blocks = this.blocks.filter((b) => !ctx.nodes.has(b.node));
    const affinities = this.affinities.filter((a) => !ctx.nodes.has(a.node));
    const details = ctx.showProblemIPs
      ? [
          ...blocks.map((b) => `  IPAM block ${b.block} is affine to node ${b.node}, which does not exist.`),
          ...affinities.map((a) => `  Affinity ${a.key} belongs to node ${a.node}, which does not exist.`),
        ]
      : [];
    return {
      problemCount: blocks.length + affinities.length,
      lines: [
        'Scanning for IPAM blocks and affinities of nodes that no longer exist...',
        ...details,
        `Found ${blocks.length} IPAM blocks and ${affinities.length} block affinities of nodes that no longer exist.`,
      ],
      json: { blocksOfMissingNodes: blocks, affinitiesOfMissingNodes: affinities },
    };
  }
}

/** Allocations that no enabled pool covers (in a disabled pool, or in none). */
class OutsideActivePools implements ExtraCheck {
  /** Per block: its network and allocated ordinals (a few bytes each; the pools are read later). */
  private readonly blocks: { net: Network; ordinals: Uint32Array }[] = [];

  block(b: CheckBlock): void {
    const ordinals: number[] = [];
    b.allocations.forEach((idx, ord) => {
      if (idx !== null) ordinals.push(ord);
    });
    if (ordinals.length > 0) this.blocks.push({ net: b.net, ordinals: Uint32Array.from(ordinals) });
  }

  finish(ctx: ExtraCheckContext): ExtraFindings {
    const covered = (ip: IPAddr): boolean =>
      ctx.activePools.some((p) => cidrContains(p, { network: ip, prefix: bitsOf(ip.version) }));
    let count = 0;
    const outside: string[] = [];
    const details: string[] = [];
    for (const { net, ordinals } of this.blocks) {
      if (ctx.activePools.some((p) => cidrContains(p, net))) continue;
      for (const ord of ordinals) {
        const ip = ordinalToIP(net, ord);
        if (covered(ip)) continue;
        count++;
        if (ctx.collect || ctx.showProblemIPs) {
          const text = formatIP(ip);
          if (ctx.collect) outside.push(text);
          if (ctx.showProblemIPs) details.push(`  ${text} is allocated but not in any active IP pool.`);
        }
      }
    }
    return {
      problemCount: count,
      lines: [
        'Scanning for allocations outside active IP pools...',
        ...details,
        `Found ${count} allocations outside active IP pools.`,
      ],
      json: { allocationsOutsideActivePools: outside },
    };
  }
}

/**
 * Handles whose per-block counts differ from what the blocks hold for them: a release or an
 * assignment cut off between its block write and its handle write (`ipam release --handle H` brings
 * them back in line). Blocks come before handles in key order, so each handle is compared as read.
 */
class HandleCounts implements ExtraCheck {
  private readonly found: HandleCountMismatch[] = [];

  handle({ kv, held }: ListedHandle): void {
    // Blocks are counted under Go's CIDR text; a handle's keys are compared in the same spelling.
    const counts: Record<string, number | bigint> = {};
    for (const [cidr, n] of Object.entries(decodeHandle(kv).block ?? {})) {
      const parsed = parseCIDR(cidr);
      const key = parsed ? formatCIDR(parsed) : cidr;
      counts[key] = Number(counts[key] ?? 0) + Number(n);
    }
    this.found.push(...compareHeld(parseHandleKey(kv.key)!, held, counts));
  }

  finish(ctx: ExtraCheckContext): ExtraFindings {
    const details = ctx.showProblemIPs
      ? this.found.map(
          (m) =>
            `  Handle ${m.handle} counts ${m.counted} address(es) in block ${m.block}, which holds ${m.allocated} for it.`,
        )
      : [];
    return {
      problemCount: this.found.length,
      lines: [
        'Scanning for handles whose counts differ from their allocations...',
        ...details,
        `Found ${this.found.length} handle counts that differ from their allocations.`,
      ],
      json: { handleCountMismatches: this.found },
    };
  }
}

/** Affinities left `pending` whose block was never written (a block claim cut off part-way). */
class PendingAffinities implements ExtraCheck {
  private readonly blockCidrs = new Set<string>();
  private readonly pending: { key: string; state: string }[] = [];

  block(b: CheckBlock): void {
    this.blockCidrs.add(b.cidr);
  }

  affinity(kv: KeyValue): void {
    // Only pending ones are kept; a value that cannot be read is not this check's to report.
    try {
      const state = (JSON.parse(kv.value) as { state?: unknown }).state;
      if (state === 'pending') this.pending.push({ key: kv.key, state });
    } catch {
      return;
    }
  }

  finish(ctx: ExtraCheckContext): ExtraFindings {
    const keys = pendingAffinitiesWithoutBlock(this.pending, this.blockCidrs);
    const details = ctx.showProblemIPs
      ? keys.map((k) => `  Affinity ${k} is pending and its block does not exist.`)
      : [];
    return {
      problemCount: keys.length,
      lines: [
        'Scanning for pending block affinities without a block...',
        ...details,
        `Found ${keys.length} pending block affinities without a block.`,
      ],
      json: { pendingAffinitiesWithoutBlock: keys },
    };
  }
}

/** The checks after calicoctl's, in the order their sections are printed. */
export function extraChecks(): ExtraCheck[] {
  return [
    new InvalidBlocks(),
    new OrphanedOwnership(),
    new OutsideActivePools(),
    new HandleCounts(),
    new PendingAffinities(),
  ];
}
