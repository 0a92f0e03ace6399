/**
 * What a kind module (src/resources/kinds/) builds its descriptor (registry.ts) from: its names,
 * and table columns as calicoctl's templates print them.
 */
import { formatShortest } from '../codec/go-float.js';
import type { KindDescriptor } from './registry.js';
import type { ResourceObject } from './types.js';

/** What table cells may need beyond the object itself. */
export interface TableContext {
  /** The cluster-wide AS number for Node ASN cells: "64512", or "unknown". */
  globalASNumber: string;
}

export interface Column {
  heading: string;
  cell: (res: ResourceObject, ctx: TableContext) => string;
}

/** A kind's names: on the command line its lower-case name, its plural, then its short names. */
export function naming(
  kind: string,
  plural: string,
  shortNames: string[],
  namespaced = false,
): Pick<KindDescriptor, 'kind' | 'listKind' | 'plural' | 'aliases' | 'namespaced'> {
  return {
    kind,
    listKind: `${kind}List`,
    plural,
    aliases: [kind.toLowerCase(), plural, ...shortNames],
    namespaced,
  };
}

// ---------------------------------------------------------------------------------------------
// Columns

type Getter = (res: ResourceObject) => unknown;

/** A field of spec, by path. */
export const spec =
  (...path: string[]): Getter =>
  (res) => {
    let v: unknown = res.spec;
    for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return v;
  };

/** text/template's printing of a field: nil pointer `<nil>`, zero values as Go prints them. */
export function goText(v: unknown, zero: string): string {
  if (v === undefined || v === null) return zero;
  if (typeof v === 'number' && !Number.isInteger(v)) return formatShortest(v);
  return String(v);
}

export const name: Column = { heading: 'NAME', cell: (r) => r.metadata.name ?? '' };

export const col = (heading: string, get: Getter, zero = ''): Column => ({
  heading,
  cell: (r) => goText(get(r), zero),
});
export const floatCol = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => {
    const v = get(r);
    return typeof v === 'number' ? formatShortest(v) : goText(v, '<nil>');
  },
});
export const joined = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => ((get(r) as string[] | undefined) ?? []).join(','),
});
export const truncatedJoin = (heading: string, get: Getter, max = 80): Column => ({
  heading,
  cell: (r) => joinAndTruncate((get(r) as string[] | undefined) ?? [], ',', max),
});
export const count = (heading: string, get: Getter): Column => ({
  heading,
  cell: (r) => String(((get(r) as unknown[] | undefined) ?? []).length),
});

/** calicoctl's joinAndTruncate: join, and cut to max characters ending in "...". */
function joinAndTruncate(items: readonly string[], sep: string, max: number): string {
  const s = items.join(sep);
  if (max > 0 && s.length > max) return s.slice(0, Math.max(0, max - 3)) + '...';
  return s;
}
