/**
 * The JSON contract of `-o json`: two-space indentation, a trailing newline, and integers that
 * may exceed 2^53 (bigint) written as decimal strings.
 */
const bigintAsString = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

export function toJsonText(data: unknown): string {
  return JSON.stringify(data, bigintAsString, 2) + '\n';
}

/** The same document on one line, for streams of JSON lines (`--watch`, `--wait -o json`). */
export function toJsonLine(data: unknown): string {
  return JSON.stringify(data, bigintAsString) + '\n';
}
