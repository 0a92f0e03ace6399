/**
 * Tables laid out exactly as calicoctl v3.32.1 prints them: olekukonko/tablewriter v0.0.5 with its
 * defaults (table.go, util.go, wrap.go at tag v0.0.5). The layout (widths, wrapping, alignment,
 * padding) is computed here, byte for byte as tablewriter computes it; then the borders are drawn
 * around cells already padded to their final width: by cli-table3 for coloured output, directly
 * otherwise (same bytes; see RenderOptions.drawer and docs/architecture.md, "Drawing tables").
 *
 * tablewriter's rules, as its source has them:
 * - Column width is the widest line of any cell, header included (measured before the header is
 *   upper-cased). A cell wider than 30 is word-wrapped at single spaces with the
 *   minimum-raggedness algorithm (WrapWords); a word longer than 30 widens the column instead.
 * - Headers: `_` becomes a space, `.` too unless between digits, then trimmed and upper-cased, and
 *   centred with the odd space on the right (Pad: left = floor(gap / 2)).
 * - Every physical line of a body cell is aligned on its own: right if it matches the decimal
 *   regex, left otherwise. Missing lines of a shorter cell are two spaces, padded like any line.
 * - `+ - |` borders, one space of padding each side, a line under the header, none between rows.
 */
import { createRequire } from 'node:module';

import type CliTable3 from 'cli-table3';

/** tablewriter's MAX_ROW_WIDTH: cells wider than this are wrapped. */
export const MAX_CELL_WIDTH = 30;

/** tablewriter's `decimal` pattern; its `percent` pattern (`^-?\d+\.?\d*$%$`) can never match. */
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/;
// tablewriter's own pattern for the colour codes it leaves out of widths (ESC is a control character).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[(?:[0-9]{1,3}(?:;[0-9]{1,3})*)?[m|K]/g;
/** Printable ASCII: one column per character, which is nearly every cell Calico's tables hold. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const WRAP_PENALTY = 1e5;
/** Rows per cli-table3 table: its layout pass is quadratic in the rows of one table. */
const CLI_TABLE3_ROWS = 100;

export interface RenderOptions {
  /**
   * Decorates one physical line of a body cell (its text without padding), e.g. with colour.
   * Applied after layout, so it never changes a width. row and col count from 0.
   */
  colour?: (row: number, col: number, text: string) => string;
  /**
   * Who draws the borders around the laid-out cells: cli-table3, or this module directly. The
   * default is cli-table3 for coloured output (a terminal) and direct otherwise; the bytes are the
   * same (test/unit/output/tablewriter.test.ts proves it), direct costs no module load and stays
   * linear on tables of 50,000 rows.
   */
  drawer?: 'cli-table3' | 'direct';
}

/** Renders a table as tablewriter v0.0.5 does; the result ends with a newline. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: RenderOptions = {},
): string {
  // tablewriter's parseDimension: a column is as wide as its widest (wrapped) cell, header included.
  const widths: number[] = headers.map(() => 0);
  const measure = (text: string, col: number): void => {
    const width = isShortPlain(text) ? text.length : wrapCell(text).width;
    if ((widths[col] ?? 0) < width) widths[col] = width;
  };
  headers.forEach(measure);
  // Whether every body cell is one line of printable ASCII, as in every row of `ipam show`.
  let plainRows = true;
  for (const row of rows) {
    for (let col = 0; col < row.length; col++) {
      const text = row[col]!;
      if (isShortPlain(text)) {
        if ((widths[col] ?? 0) < text.length) widths[col] = text.length;
      } else {
        plainRows = false;
        measure(text, col);
      }
    }
  }
  const colWidths = headers.map((_h, col) => widths[col] ?? 0);

  const head = padBlock(
    headers.map((h) => wrapCell(h).lines),
    (line, col) => centre(title(line), colWidths[col] ?? 0),
    ' ',
  );
  const colour = options.colour;
  const body = (row: readonly string[], rowIndex: number): string[][] =>
    padBlock(
      row.map((cell) => (isShortPlain(cell) ? [cell] : wrapCell(cell).lines)),
      (line, col) => {
        const width = colWidths[col] ?? 0;
        const padded = alignBodyLine(line, width);
        if (!colour || line.trim() === '') return padded;
        const start = isNumeric(line) ? Math.max(0, width - displayWidth(line)) : 0;
        return padded.slice(0, start) + colour(rowIndex, col, line) + padded.slice(start + line.length);
      },
      '  ',
    );

  if ((options.drawer ?? (colour ? 'cli-table3' : 'direct')) === 'direct') {
    if (plainRows && !colour) return drawPlainDirect(colWidths, head, rows);
    return drawDirect(colWidths, head, rows.length, (i) => body(rows[i]!, i));
  }
  const bodyCells = rows.map(body);
  // tablewriter fills the missing lines of a short cell with "  " (" " in the header) and pads it
  // like text, so a narrower column overflows on those lines. cli-table3 would truncate such a
  // line, so that rare layout is always drawn directly.
  const overflows = [head, ...bodyCells].some((cells) =>
    cells.some((lines, col) => lines.some((l) => displayWidth(l) > (colWidths[col] ?? 0))),
  );
  if (overflows) return drawDirect(colWidths, head, bodyCells.length, (i) => bodyCells[i]!);
  return drawWithCliTable3(colWidths, head, bodyCells);
}

/**
 * One line as it stands: wrapCell would return it unchanged, and its width is its length. Printable
 * ASCII of at most MAX_CELL_WIDTH characters, or of one word (WrapString raises its limit to the
 * longest word: `ipam show --show-borrowed`'s namespace/pod cells).
 */
function isShortPlain(text: string): boolean {
  return PRINTABLE_ASCII.test(text) && (text.length <= MAX_CELL_WIDTH || !text.includes(' '));
}

/** Splits a cell into its lines and wraps it as tablewriter's parseDimension does. */
export function wrapCell(text: string): { lines: string[]; width: number } {
  const raw = text.split('\n');
  let maxWidth = Math.min(Math.max(0, ...raw.map(displayWidth)), MAX_CELL_WIDTH);
  // reflowText (the default) joins all lines into one paragraph before wrapping.
  const lines = wrapString(raw.join(' '), maxWidth);
  for (const line of lines) maxWidth = Math.max(maxWidth, displayWidth(line));
  return { lines, width: maxWidth };
}

/** tablewriter's WrapString: words split at single spaces, limit raised to the longest word. */
export function wrapString(text: string, limit: number): string[] {
  const words = text.replaceAll('\n', ' ').split(' ');
  let lim = limit;
  for (const word of words) lim = Math.max(lim, displayWidth(word));
  return wrapWords(words, 1, lim, WRAP_PENALTY).map((line) => line.join(' '));
}

/** tablewriter's WrapWords: breaks minimising the sum of squared slack over all but the last line. */
function wrapWords(words: string[], spc: number, lim: number, pen: number): string[][] {
  const n = words.length;
  const widthOf = words.map(displayWidth);
  // length(i, j): width of words i..j joined by single spaces.
  const length = (i: number, j: number): number => {
    let total = 0;
    for (let k = i; k <= j; k++) total += (widthOf[k] ?? 0) + (k > i ? spc : 0);
    return total;
  };
  const nbrk = new Array<number>(n).fill(0);
  const cost = new Array<number>(n).fill(2 ** 31 - 1);
  for (let i = n - 1; i >= 0; i--) {
    if (length(i, n - 1) <= lim) {
      cost[i] = 0;
      nbrk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - length(i, j - 1);
      let c = d * d + (cost[j] ?? 0);
      if (length(i, j - 1) > lim) c += pen;
      if (c < (cost[i] ?? 0)) {
        cost[i] = c;
        nbrk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = nbrk[i] ?? n) lines.push(words.slice(i, nbrk[i]));
  return lines;
}

/** tablewriter's Title: header text as printed. */
export function title(name: string): string {
  const chars = [...name];
  const numOrSpace = (c: string | undefined): boolean => c !== undefined && /^[0-9 ]$/.test(c);
  const out = chars.map((c, i) => {
    if (c === '_') return ' ';
    if (c === '.') {
      const before = i !== 0 && !numOrSpace(chars[i - 1]);
      const after = i !== chars.length - 1 && !numOrSpace(chars[i + 1]);
      if (before || after) return ' ';
    }
    return c;
  });
  const trimmed = out.join('').trim();
  return (trimmed.length === 0 && name.length > 0 ? ' ' : trimmed).toUpperCase();
}

/** Right-aligns numbers, left-aligns everything else (tablewriter's ALIGN_DEFAULT for rows). */
export function alignBodyLine(line: string, width: number): string {
  return isNumeric(line) ? padLeft(line, width) : padRight(line, width);
}

export function isNumeric(text: string): boolean {
  return DECIMAL.test(text.trim());
}

/** Terminal width of text as go-runewidth counts it (ANSI colour codes count zero). */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const ch of text.replace(ANSI, '')) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || isZeroWidth(cp)) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isZeroWidth(cp: number): boolean {
  return /\p{Mn}|\p{Me}/u.test(String.fromCodePoint(cp)) || (cp >= 0x200b && cp <= 0x200f);
}

/** East Asian Wide and Fullwidth ranges (the common blocks). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function centre(text: string, width: number): string {
  const gap = width - displayWidth(text);
  if (gap <= 0) return text;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + text + ' '.repeat(gap - left);
}

function padRight(text: string, width: number): string {
  const gap = width - displayWidth(text);
  return gap > 0 ? text + ' '.repeat(gap) : text;
}

function padLeft(text: string, width: number): string {
  const gap = width - displayWidth(text);
  return gap > 0 ? ' '.repeat(gap) + text : text;
}

/** Gives every cell of a row the same number of lines, then pads each line. */
function padBlock(cells: string[][], pad: (line: string, col: number) => string, filler: string): string[][] {
  const height = Math.max(0, ...cells.map((lines) => lines.length));
  return cells.map((lines, col) => {
    const full = [...lines];
    while (full.length < height) full.push(filler);
    return full.map((line) => pad(line, col));
  });
}

const CLI_TABLE3_CHARS = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '+',
  mid: '-',
  'mid-mid': '+',
  right: '|',
  'right-mid': '+',
  middle: '|',
};

/**
 * cli-table3 draws the borders around cells already padded to their final width. It is loaded
 * here, on first use, so that output without colour (pipes, files) never loads it. Its layout pass
 * compares every cell with every earlier one, so long tables are drawn CLI_TABLE3_ROWS rows at a
 * time and joined: each part is a whole table, whose top border (after the first part) and bottom
 * border (before the last) are the same rule and are dropped.
 */
function drawWithCliTable3(widths: number[], head: string[][], body: string[][][]): string {
  const Table = createRequire(import.meta.url)('cli-table3') as typeof CliTable3;
  const draw = (withHead: boolean, rows: string[][][]): string[] => {
    const table = new Table({
      head: withHead ? head.map((lines) => lines.join('\n')) : [],
      colWidths: widths.map((w) => w + 2),
      wordWrap: false,
      chars: CLI_TABLE3_CHARS,
      style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
    });
    for (const row of rows) table.push(row.map((lines) => ({ content: lines.join('\n'), hAlign: 'left' })));
    return table.toString().split('\n');
  };
  if (body.length === 0) {
    // tablewriter always prints the line under the header; cli-table3 draws it only above a first
    // row. Without rows it equals the bottom border, so the bottom border is printed twice.
    const lines = draw(true, []);
    return [...lines, lines[lines.length - 1] ?? ''].join('\n') + '\n';
  }
  const out: string[] = [];
  for (let start = 0; start < body.length; start += CLI_TABLE3_ROWS) {
    const end = Math.min(body.length, start + CLI_TABLE3_ROWS);
    const lines = draw(start === 0, body.slice(start, end));
    for (let i = start === 0 ? 0 : 1; i < (end === body.length ? lines.length : lines.length - 1); i++) {
      out.push(lines[i]!);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * drawDirect for body rows whose cells are all one line of printable ASCII (width = length): each
 * row is one line built straight from its cells, without the per-cell line arrays of padBlock.
 */
function drawPlainDirect(widths: number[], head: string[][], rows: readonly (readonly string[])[]): string {
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const spaces = ' '.repeat(Math.max(0, ...widths));
  let headText = '';
  const height = head[0]?.length ?? 0;
  for (let i = 0; i < height; i++)
    headText += '| ' + head.map((lines) => lines[i] ?? '').join(' | ') + ' |\n';
  let out = rule + '\n' + headText + rule + '\n';
  for (const row of rows) {
    if (row.length === 0) continue; // a row without cells has no lines
    out += '|';
    for (let col = 0; col < row.length; col++) {
      const text = row[col]!;
      const gap = (widths[col] ?? 0) - text.length;
      const pad = gap > 0 ? spaces.slice(0, gap) : '';
      out += isNumeric(text) ? ` ${pad}${text} |` : ` ${text}${pad} |`;
    }
    out += '\n';
  }
  return out + rule + '\n';
}

/**
 * Draws what cli-table3 draws for these cells, row by row: `+-...-+` rules above and below the
 * header and at the bottom, `| a | b |` lines, nothing between rows (a table without rows still
 * gets both rules under its header, as tablewriter prints them).
 */
function drawDirect(
  widths: number[],
  head: string[][],
  rowCount: number,
  rowCells: (index: number) => string[][],
): string {
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const out: string[] = [rule];
  const block = (cells: string[][]): void => {
    const height = cells[0]?.length ?? 0;
    for (let i = 0; i < height; i++) out.push('| ' + cells.map((lines) => lines[i] ?? '').join(' | ') + ' |');
  };
  block(head);
  out.push(rule);
  for (let i = 0; i < rowCount; i++) block(rowCells(i));
  out.push(rule);
  return out.join('\n') + '\n';
}
