/**
 * `ipam show --by-node` (not in calicoctl): per node, the blocks it owns (host affinity), the
 * addresses allocated to it (`secondary.node`, else its block's owner), how many of those it
 * borrows from other nodes' or unowned blocks, and how many addresses of its blocks it lends.
 */
import { compareGoStrings } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { scanBlockOwners, type BlockHolders } from './block-owners.js';
import { affinityHost } from './block.js';
import type { SkippedValue } from './utilization.js';

export interface NodeUsage {
  node: string;
  blocks: number;
  ipsInUse: number;
  ipsBorrowed: number;
  ipsLent: number;
}

export interface NodeUsageReport {
  revision: number;
  nodes: NodeUsage[];
  /** Allocations in unowned blocks without a node attribute: nobody to count them for. */
  unclassified: number;
  skipped: SkippedValue[];
}

export class NodeUsageCounter {
  private readonly nodes = new Map<string, NodeUsage>();
  unclassified = 0;

  private node(name: string): NodeUsage {
    let n = this.nodes.get(name);
    if (!n) {
      n = { node: name, blocks: 0, ipsInUse: 0, ipsBorrowed: 0, ipsLent: 0 };
      this.nodes.set(name, n);
    }
    return n;
  }

  add(block: BlockHolders): void {
    // Check every index first so a corrupt block adds nothing.
    block.checkAllocations();
    const owner = affinityHost(block.affinity);
    const ownerUsage = owner ? this.node(owner) : undefined;
    if (ownerUsage) ownerUsage.blocks++;
    // The owner's own addresses are counted here and added once, and compared with the owner in the
    // block's bytes: a node name made into a string and looked up in a map costs about a
    // microsecond, 300,000 of them.
    let own = 0;
    for (let ord = 0; ord < block.ordinals; ord++) {
      const attr = block.attributeAt(ord);
      if (attr < 0) continue;
      // The user is secondary.node, else the block's owner.
      if (block.hostHoldsAll || !block.hasNode(attr) || block.nodeIs(attr, owner)) {
        if (owner) own++;
        else this.unclassified++;
        continue;
      }
      const user = block.secondary(attr, 'node')!;
      if (!user) {
        this.unclassified++;
        continue;
      }
      const u = this.node(user);
      u.ipsInUse++;
      u.ipsBorrowed++;
      if (ownerUsage) ownerUsage.ipsLent++;
    }
    if (ownerUsage) ownerUsage.ipsInUse += own;
  }

  /** Adds (sign 1) or takes back (-1) another counter's counts (a watch keeps one per block). */
  merge(other: NodeUsageCounter, sign: 1 | -1 = 1): void {
    for (const n of other.nodes.values()) {
      const u = this.node(n.node);
      u.blocks += sign * n.blocks;
      u.ipsInUse += sign * n.ipsInUse;
      u.ipsBorrowed += sign * n.ipsBorrowed;
      u.ipsLent += sign * n.ipsLent;
      // A one-shot count never lists a node with nothing: neither may one taken back to nothing.
      if (u.blocks === 0 && u.ipsInUse === 0 && u.ipsLent === 0) this.nodes.delete(n.node);
    }
    this.unclassified += sign * other.unclassified;
  }

  result(): NodeUsage[] {
    return [...this.nodes.values()].sort((a, b) => compareGoStrings(a.node, b.node));
  }
}

/** Every block counted (scanBlockOwners: each read while it is visited, nothing of it kept). */
export async function collectNodeUsage(ds: Datastore): Promise<NodeUsageReport> {
  const counter = new NodeUsageCounter();
  const { revision, skipped } = await scanBlockOwners(ds, (block) => counter.add(block));
  return { revision, nodes: counter.result(), unclassified: counter.unclassified, skipped };
}
