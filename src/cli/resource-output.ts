/**
 * `get` output as calicoctl prints it (calico.md §5.6): ps/wide tables per returned object, YAML,
 * JSON (Go MarshalIndent, no trailing newline), custom-columns, and kubectl-style jsonpath in
 * place of go-template.
 */
import { encodeGoJson, parseGoJson } from '../codec/go-json.js';
import { InputError } from '../errors.js';
import { renderTabwriter } from '../output/tabwriter.js';
import { toGoYaml } from '../output/yaml.js';
import type { Column, KindDescriptor, TableContext } from '../resources/registry.js';
import { listSchema } from '../resources/schemas.js';
import { API_VERSION, type ResourceObject } from '../resources/types.js';

/** One thing get returned: a single object, or a whole list of one kind. */
export type GetObject =
  | { type: 'item'; descriptor: KindDescriptor; resource: ResourceObject }
  | { type: 'list'; descriptor: KindDescriptor; items: ResourceObject[]; resourceVersion?: string };

export type OutputFormat =
  | { type: 'ps' | 'wide' | 'yaml' | 'json' }
  | { type: 'custom-columns'; columns: string[] }
  | { type: 'jsonpath'; template: string };

export function parseOutputFormat(text: string, readTemplateFile: (path: string) => string): OutputFormat {
  if (text === 'ps' || text === 'wide' || text === 'yaml' || text === 'json') return { type: text };
  if (text === 'yml') return { type: 'yaml' };
  const [prefix, ...rest] = text.split('=');
  const value = rest.join('=');
  switch (prefix) {
    case 'custom-columns': {
      const columns = value.split(',').filter((c) => c !== '');
      if (columns.length === 0)
        throw new InputError('need to specify at least one column', {
          hint: 'e.g. -o custom-columns=NAME,CIDR',
        });
      return { type: 'custom-columns', columns };
    }
    case 'jsonpath':
    case 'go-template':
      if (!value)
        throw new InputError('need to specify a template', {
          hint: "e.g. -o jsonpath='{.items[*].metadata.name}'",
        });
      return { type: 'jsonpath', template: value };
    case 'jsonpath-file':
    case 'go-template-file':
      if (!value) throw new InputError('need to specify a template file');
      return { type: 'jsonpath', template: readTemplateFile(value).trim() };
    default:
      throw new InputError(`unrecognized output format '${text}'`, {
        hint: 'use ps, wide, yaml, json, custom-columns=..., jsonpath=... or jsonpath-file=...',
      });
  }
}

function listObject(o: Extract<GetObject, { type: 'list' }>): Record<string, unknown> {
  return {
    kind: o.descriptor.listKind,
    apiVersion: API_VERSION,
    metadata: o.resourceVersion ? { resourceVersion: o.resourceVersion } : {},
    items: o.items,
  };
}

/** Go MarshalIndent of one returned object. */
export function objectJson(o: GetObject): string {
  if (o.type === 'item') return encodeGoJson(o.resource, o.descriptor.schema, { indent: '  ' });
  return encodeGoJson(listObject(o), listSchema(o.descriptor.listKind, o.descriptor.schema), {
    indent: '  ',
  });
}

/** The objects as Go JSON text: one object, or an array of them. */
export function objectsJson(objects: readonly GetObject[]): string {
  if (objects.length === 1) return objectJson(objects[0]!);
  if (objects.length === 0) return '[]';
  return '[\n' + objects.map((o) => '  ' + objectJson(o).split('\n').join('\n  ')).join(',\n') + '\n]';
}

const namespaceColumn: Column = { heading: 'NAMESPACE', cell: (r) => r.metadata.namespace ?? '' };

function columnsFor(d: KindDescriptor, format: OutputFormat, withNamespace: boolean): Column[] {
  const nsCol = d.namespaced ? namespaceColumn : undefined;
  if (format.type === 'custom-columns') {
    const all = [...d.wide, ...d.ps, ...(nsCol ? [nsCol] : [])];
    return format.columns.map((h) => {
      const c = all.find((x) => x.heading === h.toUpperCase());
      if (!c)
        throw new InputError(
          `unknown heading ${h}, valid values are: ${[...new Set(all.map((x) => x.heading))].join(', ')}`,
        );
      return c;
    });
  }
  const cols = format.type === 'wide' ? [...d.wide] : [...d.ps];
  return withNamespace && nsCol ? [nsCol, ...cols] : cols;
}

export interface RenderOptions {
  format: OutputFormat;
  /** -n or -A was given: namespaced kinds get a NAMESPACE column. */
  withNamespace: boolean;
  table: TableContext;
}

export function renderObjects(objects: readonly GetObject[], opts: RenderOptions): string {
  const f = opts.format;
  switch (f.type) {
    case 'yaml': {
      const text = objectsJson(objects);
      return toGoYaml(parseGoJson(text));
    }
    case 'json':
      return objectsJson(objects);
    case 'jsonpath': {
      const data = parseGoJson(objectsJson(objects));
      return evalJsonPath(f.template, data) + '\n';
    }
    default: {
      let out = '';
      for (const o of objects) {
        const cols = columnsFor(o.descriptor, f, opts.withNamespace && o.descriptor.namespaced);
        const items = o.type === 'item' ? [o.resource] : o.items;
        const rows = [
          cols.map((c) => c.heading),
          ...items.map((r) => cols.map((c) => c.cell(r, opts.table))),
        ];
        out += renderTabwriter(rows) + '\n';
      }
      return out;
    }
  }
}

/**
 * kubectl-style JSONPath: text with `{...}` expressions of `.field`, `['field']`, `[n]`, `[*]`
 * and `..`-free paths; several results are joined with a space.
 */
export function evalJsonPath(template: string, data: unknown): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('}', open);
    if (close < 0) throw new InputError(`unclosed '{' in jsonpath template: ${template}`);
    const expr = template.slice(open + 1, close).trim();
    out += evalPath(expr, data).map(scalarText).join(' ');
    i = close + 1;
  }
  return out;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object')
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
  return String(v);
}

function evalPath(expr: string, data: unknown): unknown[] {
  if (expr === '' || expr === '@' || expr === '$') return [data];
  const tokens = expr.replace(/^\$/, '').match(/\.[^.[\]]+|\[[^\]]*\]/g);
  if (!tokens || tokens.join('') !== expr.replace(/^\$/, ''))
    throw new InputError(`unsupported jsonpath expression {${expr}}`, {
      hint: 'use paths like {.items[*].metadata.name}',
    });
  let current: unknown[] = [data];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if (t.startsWith('.')) {
        const key = t.slice(1);
        if (v && typeof v === 'object' && !Array.isArray(v) && key in v)
          next.push((v as Record<string, unknown>)[key]);
      } else {
        const inner = t.slice(1, -1).trim();
        if (inner === '*') {
          if (Array.isArray(v)) next.push(...v);
          else if (v && typeof v === 'object') next.push(...Object.values(v));
        } else if (/^-?\d+$/.test(inner) && Array.isArray(v)) {
          const idx = Number(inner);
          const x = v[idx < 0 ? v.length + idx : idx];
          if (x !== undefined) next.push(x);
        } else {
          const key = inner.replace(/^'(.*)'$/, '$1');
          if (v && typeof v === 'object' && key in v) next.push((v as Record<string, unknown>)[key]);
        }
      }
    }
    current = next;
  }
  return current;
}
