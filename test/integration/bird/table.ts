/** Reads the tables of `node status` text back into rows, joining wrapped INFO lines. */
export interface TableRow {
  address: string;
  type: string;
  state: string;
  since: string;
  info: string;
}

/** The rows of the table that follows `heading` in text. */
export function tableAfter(text: string, heading: string): { lines: string[]; rows: TableRow[] } {
  const after = text.split(`${heading}\n`)[1] ?? '';
  const lines: string[] = [];
  for (const line of after.split('\n')) {
    if (!line.startsWith('+') && !line.startsWith('|')) break;
    lines.push(line);
  }
  const rows: TableRow[] = [];
  for (const line of lines.slice(3, -1)) {
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    const [address, type, state, since, info] = cells as [string, string, string, string, string];
    const last = rows[rows.length - 1];
    if (address === '' && last) last.info += ` ${info}`;
    else rows.push({ address, type, state, since, info });
  }
  return { lines, rows };
}
