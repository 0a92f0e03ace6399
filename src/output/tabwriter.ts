/**
 * Go `text/tabwriter` (flags 0: left-aligned, no HTML filtering, no escapes), as calicoctl's
 * `get` uses it: `tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0)`.
 *
 * Semantics ported from Go's tabwriter.go:
 * - Text is split into cells at '\t', '\v', '\n', '\f'; a line's last cell (the text before the
 *   newline) never belongs to a column, so it is printed unpadded.
 * - A column block is a run of consecutive lines that all have a cell in that column; its width is
 *   max(cell width + padding, minwidth), and a line with fewer cells ends the block. Blocks nest
 *   from left to right (format() recursion).
 * - A line consisting of one cell only (no tab) flushes everything before it, so it separates
 *   independent tables; '\f' also flushes.
 * - Width counts Unicode code points (Go counts runes), not bytes or display columns.
 */

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
}

/** The settings of calicoctl's `get` tables. */
export const CALICOCTL_TABWRITER: TabwriterOptions = { minwidth: 5, tabwidth: 1, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
}

class Formatter {
  private readonly lines: Cell[][] = [[]];
  private readonly widths: number[] = [];
  private out = '';

  constructor(private readonly opts: TabwriterOptions) {}

  write(text: string): string {
    let cell = '';
    for (const ch of text) {
      if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
        const line = this.lines[this.lines.length - 1]!;
        line.push({ text: cell, width: [...cell].length });
        cell = '';
        if (ch === '\n' || ch === '\f') {
          this.lines.push([]);
          if (ch === '\f' || line.length === 1) this.flush();
        }
      } else {
        cell += ch;
      }
    }
    if (cell.length > 0) this.lines[this.lines.length - 1]!.push({ text: cell, width: [...cell].length });
    this.flush();
    return this.out;
  }

  private flush(): void {
    this.format(0, this.lines.length);
    this.lines.splice(0, this.lines.length, []);
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= this.cellCount(current) - 1) continue;
      // This line has more cells than the previous one: a new column block starts here.
      this.writeLines(line0, current);
      line0 = current;
      let width = this.opts.minwidth;
      for (; current < line1; current++) {
        if (column >= this.cellCount(current) - 1) break;
        width = Math.max(width, this.lines[current]![column]!.width + this.opts.padding);
      }
      this.widths.push(width);
      this.format(line0, current);
      this.widths.pop();
      line0 = current;
    }
    this.writeLines(line0, line1);
  }

  private cellCount(line: number): number {
    return this.lines[line]!.length;
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((c, j) => {
        this.out += c.text;
        const cellWidth = this.widths[j];
        if (cellWidth !== undefined) this.out += this.padding(c.width, cellWidth);
      });
      // The last buffered line has no newline of its own (text after the final '\n').
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }

  private padding(textWidth: number, cellWidth: number): string {
    const { padchar, tabwidth } = this.opts;
    if (padchar !== '\t') return padchar.repeat(cellWidth - textWidth);
    // Tab padding: the cell is widened to a multiple of tabwidth and filled with tabs.
    if (tabwidth === 0) return '';
    const rounded = Math.ceil(cellWidth / tabwidth) * tabwidth;
    return '\t'.repeat(Math.ceil((rounded - textWidth) / tabwidth));
  }
}

/** Formats text through a Go tabwriter configured with opts and flushes it. */
export function tabwriterFormat(text: string, opts: TabwriterOptions = CALICOCTL_TABWRITER): string {
  return new Formatter(opts).write(text);
}

/**
 * calicoctl's table output: every cell tab-terminated and every row newline-terminated, so every
 * column (also the last) is padded to max(width)+3, at least 5. Does not add the blank line that
 * calicoctl prints after each table.
 */
export function renderTabwriter(rows: readonly (readonly string[])[]): string {
  return tabwriterFormat(rows.map((row) => row.map((cell) => cell + '\t').join('') + '\n').join(''));
}
