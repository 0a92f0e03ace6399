/**
 * The cells of calicoctl's `ipam show` tables (REL v3.32.1 `showBlockUtilization`,
 * `showBorrowedDetails`), plus the `-o wide` owner column and the `--by-node` table of our own.
 * Counts are float64 in calicoctl, hence `%.5g` and `%.f` (ties to even) from src/codec/go-float.ts.
 */
import { PLAIN, paintUsage, type Palette } from '../../output/colour.js';
import { formatG5, formatPercent0 } from '../../codec/go-float.js';
import { renderTable } from '../../output/tablewriter.js';
import type { BorrowedIP } from '../../ipam/borrowed.js';
import type { NodeUsage } from '../../ipam/node-usage.js';
import type { Utilization } from '../../ipam/utilization.js';
import { ORPHAN_POOL_NAME } from '../../ipam/utilization.js';
import { blockOwner } from '../../ipam/borrowed.js';

export interface TableData {
  headers: string[];
  rows: string[][];
  /** How full each row is (0..1; undefined: not applicable), shown by colouring one column. */
  usage?: { column: number; fractions: (number | undefined)[] };
}

/** Renders a table; on a terminal the usage column is coloured by level (piped: byte-identical). */
export function renderShowTable(t: TableData, palette: Palette = PLAIN): string {
  const usage = t.usage;
  if (!usage || palette === PLAIN) return renderTable(t.headers, t.rows);
  return renderTable(t.headers, t.rows, {
    colour: (row, col, text) => {
      const fraction = usage.fractions[row];
      return col === usage.column && fraction !== undefined ? paintUsage(palette, fraction, text) : text;
    },
  });
}

const fractionOf = (used: number, capacity: number): number | undefined =>
  capacity > 0 ? used / capacity : undefined;

/** calicoctl's genRow: TOTAL, IN USE (percent), FREE (percent), all as float64. */
function usageCells(inUse: number, total: bigint): string[] {
  const capacity = Number(total);
  const free = capacity - inUse;
  return [
    formatG5(capacity),
    `${formatG5(inUse)} (${formatPercent0((100 * inUse) / capacity)}%)`,
    `${formatG5(free)} (${formatPercent0((100 * free) / capacity)}%)`,
  ];
}

/** Cells by (capacity, in use): tens of thousands of blocks share a few dozen of these. */
const BLOCK_CELLS_LIMIT = 2 ** 20;

export function utilizationTable(u: Utilization, opts: { showBlocks: boolean; wide: boolean }): TableData {
  const blockCells = new Map<number, string[]>();
  const cellsOf = (inUse: number, total: bigint): string[] => {
    const capacity = Number(total);
    if (!(capacity <= BLOCK_CELLS_LIMIT && inUse >= 0 && inUse <= capacity && Number.isInteger(inUse))) {
      return usageCells(inUse, total);
    }
    const key = capacity * (BLOCK_CELLS_LIMIT + 1) + inUse;
    let cells = blockCells.get(key);
    if (!cells) blockCells.set(key, (cells = usageCells(inUse, total)));
    return cells;
  };
  const headers = ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'];
  if (opts.wide) headers.push('OWNER');
  const rows: string[][] = [];
  const fractions: (number | undefined)[] = [];
  for (const pool of u.pools) {
    // The orphan pseudo-pool (0.0.0.0/0) never gets an IP Pool row, only its blocks.
    if (pool.name !== ORPHAN_POOL_NAME) {
      const row = ['IP Pool', pool.cidr, ...usageCells(pool.inUse, pool.total)];
      if (opts.wide) row.push('');
      rows.push(row);
      fractions.push(fractionOf(pool.inUse, Number(pool.total)));
    }
    if (!opts.showBlocks) continue;
    for (const block of pool.blocks) {
      const [total, inUse, free] = cellsOf(block.inUse, block.total);
      const row = opts.wide
        ? ['Block', block.cidr, total!, inUse!, free!, blockOwner(block.affinity)]
        : ['Block', block.cidr, total!, inUse!, free!];
      rows.push(row);
      fractions.push(fractionOf(block.inUse, Number(block.total)));
    }
  }
  return { headers, rows, usage: { column: headers.indexOf('IPS IN USE'), fractions } };
}

export function borrowedTable(borrowed: readonly BorrowedIP[]): TableData {
  return {
    headers: ['IP', 'BORROWING-NODE', 'BLOCK', 'BLOCK OWNER', 'TYPE', 'ALLOCATED-TO'],
    rows: borrowed.map((b) => [b.ip, b.borrowingNode, b.block, b.blockOwner, b.type, b.allocatedTo]),
  };
}

/** calicoctl prints this after the borrowed table when some allocations have no node attribute. */
export function unclassifiedNote(count: number): string {
  return count === 0
    ? ''
    : `\nNote: found ${count} IP allocations without an explicit node association. Unable to determine if they are borrowed.\n`;
}

export function nodeUsageTable(nodes: readonly NodeUsage[], maxBlocksPerHost: number): TableData {
  const max = maxBlocksPerHost > 0 ? String(maxBlocksPerHost) : 'unlimited';
  return {
    headers: ['NODE', 'BLOCKS', 'MAX BLOCKS', 'IPS IN USE', 'IPS BORROWED', 'IPS LENT'],
    rows: nodes.map((n) => [
      n.node,
      String(n.blocks),
      max,
      String(n.ipsInUse),
      String(n.ipsBorrowed),
      String(n.ipsLent),
    ]),
    // Blocks against the per-node limit, when there is one.
    usage: { column: 1, fractions: nodes.map((n) => fractionOf(n.blocks, maxBlocksPerHost)) },
  };
}
