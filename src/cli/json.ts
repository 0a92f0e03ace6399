/**
 * The JSON contract of `-o json`: two-space indentation, a trailing newline, and integers that
 * may exceed 2^53 (bigint) written as decimal strings.
 */
export function toJsonText(data: unknown): string {
  return (
    JSON.stringify(
      data,
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
      2,
    ) + '\n'
  );
}
