/**
 * Reading resources from files, directories and stdin as calicoctl does (calico.md §5.2):
 * documents split on "\n---" (rest of that line dropped, 10 MiB per document), each a single
 * object, a sequence of objects or a `<Kind>List`; decoding is strict against the kind's Go layout.
 * Every error names the file and document; messages keep calicoctl's text.
 */
// Synchronous reads: a command reads its few files one after the other anyway, and node:fs/promises
// costs ~1 ms of start-up to load.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import yaml from 'js-yaml';

import { InputError } from '../errors.js';
import { DecodeError, decodeResource } from './decode.js';
import { kindDescriptor, listKindDescriptor, type KindDescriptor } from './registry.js';
import { YAML11_SCHEMA } from './yaml11.js';
import { API_VERSION, type ResourceObject } from './types.js';

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export interface ManifestResource {
  resource: ResourceObject;
  descriptor: KindDescriptor;
  /** File path, or "-" for stdin. */
  file: string;
  /** 1-based document number within the file. */
  document: number;
}

export interface LoadOptions {
  recursive?: boolean;
  /** Reads all of stdin (for "-"). */
  readStdin?: () => Promise<string>;
}

/** A manifest problem: calicoctl's message and where it was found. */
function manifestError(message: string, where: string, hint: string, code = 'InvalidManifest'): InputError {
  return new InputError(message, { code, hint: `${where}: ${hint}` });
}

/** Splits like calicoctl's YAMLDocumentSeparator. */
export function splitDocuments(text: string): string[] {
  const docs: string[] = [];
  let rest = text;
  for (;;) {
    const i = rest.indexOf('\n---');
    if (i < 0) break;
    const lineEnd = rest.indexOf('\n', i + 4);
    docs.push(rest.slice(0, i));
    if (lineEnd < 0) {
      rest = '';
      break;
    }
    rest = rest.slice(lineEnd + 1);
  }
  if (rest.length > 0 || docs.length === 0) docs.push(rest);
  return docs;
}

function isBlank(doc: string): boolean {
  return doc.split('\n').every((l) => /^\s*(#.*)?$/.test(l) || /^---\s*$/.test(l) || /^\.\.\.\s*$/.test(l));
}

function describeType(v: unknown): { kind: string; apiVersion: string } {
  const o = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
  return {
    kind: typeof o.kind === 'string' ? o.kind : '',
    apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : '',
  };
}

/** Parses one document's text (already split) into resources. */
export function parseDocument(text: string, file: string, document: number): ManifestResource[] {
  const where = `${file === '-' ? 'stdin' : file}, document ${document}`;
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES)
    throw manifestError(
      'failed to execute command: bufio.Scanner: token too long',
      where,
      `a single document may be at most 10 MiB; split it with '---' lines`,
      'DocumentTooLarge',
    );
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { schema: YAML11_SCHEMA, filename: file });
  } catch (err) {
    // js-yaml recurses per nesting level: a deep enough document overflows the stack.
    if (err instanceof RangeError) throw shapeError(`exceeded max depth of ${MAX_NESTING}`, where);
    const reason = err instanceof yaml.YAMLException ? err.reason : String(err);
    const line = err instanceof yaml.YAMLException ? err.mark.line + 1 : 0;
    throw manifestError(
      `failed to execute command: error converting YAML to JSON: yaml: line ${line}: ${reason}`,
      where,
      'fix the YAML/JSON syntax at that line',
      'InvalidYaml',
    );
  }
  const problem = shapeProblem(parsed);
  if (problem) throw shapeError(problem, where);
  const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  const out: ManifestResource[] = [];
  for (const item of items) {
    const { kind, apiVersion } = describeType(item);
    const listOf = apiVersion === API_VERSION ? listKindDescriptor(kind) : undefined;
    if (listOf) {
      const list = item as Record<string, unknown>;
      for (const key of Object.keys(list))
        if (!['kind', 'apiVersion', 'metadata', 'items'].includes(key)) throw unknownField(key, where, kind);
      if (list.items !== undefined && list.items !== null && !Array.isArray(list.items))
        throw manifestError(
          `failed to execute command: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ` +
            `${jsonKind(list.items)} into Go struct field ${kind}.items of type []v3.${listOf.kind}`,
          where,
          'items must be a list of resources',
          'InvalidFieldType',
        );
      const entries = Array.isArray(list.items) ? list.items : [];
      for (const entry of entries) out.push(decodeOne(entry, listOf, file, document, where));
      continue;
    }
    const d = apiVersion === API_VERSION ? kindDescriptor(kind) : undefined;
    if (!d)
      throw manifestError(
        `failed to execute command: unknown resource type (${kind}) and/or version (${apiVersion})`,
        where,
        kind
          ? `use apiVersion: ${API_VERSION} and one of the Calico kinds (IPPool, BGPPeer, ...)`
          : 'every resource needs "apiVersion" and "kind"',
        'UnknownResourceType',
      );
    out.push(decodeOne(item, d, file, document, where));
  }
  return out;
}

/** Real manifests nest a few levels; everything after parsing recurses per level. */
const MAX_NESTING = 1000;
/** Nodes a document may have once its aliases are expanded (every later step expands them). */
const MAX_EXPANDED_NODES = 1_000_000;

/**
 * go-yaml refuses documents whose aliases expand enormously ("billion laughs"); js-yaml shares
 * the aliased object instead, and can even build a cycle (`a: &a {b: *a}`), which the encoders
 * would then expand without bound. Measures the expanded tree, visiting each shared node once.
 */
function shapeProblem(value: unknown): string | undefined {
  const sizes = new Map<object, number>();
  const measure = (node: unknown, depth: number): number => {
    if (node === null || typeof node !== 'object') return 1;
    if (depth > MAX_NESTING) throw new Error(`exceeded max depth of ${MAX_NESTING}`);
    const known = sizes.get(node);
    if (known === -1) throw new Error('document contains excessive aliasing');
    if (known !== undefined) return known;
    sizes.set(node, -1);
    let size = 1;
    for (const child of Object.values(node)) {
      size += measure(child, depth + 1);
      if (size > MAX_EXPANDED_NODES) throw new Error('document contains excessive aliasing');
    }
    sizes.set(node, size);
    return size;
  };
  try {
    measure(value, 1);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function shapeError(problem: string, where: string): InputError {
  return manifestError(
    `failed to execute command: error converting YAML to JSON: yaml: ${problem}`,
    where,
    problem.startsWith('exceeded')
      ? `no resource nests more than a few levels deep; check the brackets and indentation`
      : 'write repeated parts out instead of referring to them with aliases (*name)',
    'InvalidYaml',
  );
}

function jsonKind(value: unknown): string {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}

function unknownField(field: string, where: string, kind: string): InputError {
  return manifestError(
    `field in document is not recognized or is in the wrong location: ${field}`,
    where,
    `remove "${field}" or move it to where the ${kind} schema expects it`,
    'UnknownField',
  );
}

function decodeOne(
  item: unknown,
  d: KindDescriptor,
  file: string,
  document: number,
  where: string,
): ManifestResource {
  const meta = (item as { metadata?: { name?: unknown } }).metadata;
  const label = `${where}, ${d.kind}${typeof meta?.name === 'string' ? ` '${meta.name}'` : ''}`;
  try {
    const resource = decodeResource(item, d.schema) as unknown as ResourceObject;
    resource.metadata ??= {};
    return { resource, descriptor: d, file, document };
  } catch (err) {
    if (err instanceof DecodeError) {
      if (err.unknownField !== undefined) throw unknownField(err.unknownField, label, d.kind);
      throw manifestError(
        `failed to execute command: error unmarshaling JSON: while decoding JSON: ${err.message}`,
        label,
        'give the field a value of the type shown',
        'InvalidFieldType',
      );
    }
    throw err;
  }
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

async function listDirectory(dir: string, recursive: boolean): Promise<string[]> {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) files.push(...(await listDirectory(p, true)));
    } else if (MANIFEST_EXT.test(e.name)) {
      files.push(p);
    }
  }
  return files;
}

function fsError(err: unknown, path: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(err);
  return new InputError(`failed to execute command: open ${path}: ${reason}`, {
    code: 'FileNotReadable',
    hint: code === 'ENOENT' ? `check the path '${path}' given to -f` : `make '${path}' readable`,
  });
}

/**
 * Loads every resource named by -f. `skipEmpty` turns "nothing found" into an empty result
 * (calicoctl then prints "No resources specified").
 */
export async function loadManifests(path: string, opts: LoadOptions = {}): Promise<ManifestResource[]> {
  if (path === '-') {
    const text = opts.readStdin ? await opts.readStdin() : '';
    const res = parseText(text, '-');
    if (res.length === 0) throw emptyError('no resources specified in file -', 'stdin was empty');
    return res;
  }
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw fsError(err, path);
  }
  if (!isDir) {
    const res = parseText(await readText(path), path);
    if (res.length === 0)
      throw emptyError(`no resources specified in file ${path}`, `${path} holds no resources`);
    return res;
  }
  const out: ManifestResource[] = [];
  for (const f of await listDirectory(path, opts.recursive ?? false))
    out.push(...parseText(await readText(f), f));
  if (out.length === 0)
    throw emptyError(
      `no resources specified in directory ${path}`,
      `${path} has no *.yaml, *.yml or *.json files with resources${opts.recursive ? '' : ' (use -R for subdirectories)'}`,
    );
  return out;
}

function emptyError(message: string, why: string): InputError {
  return new InputError(message, { code: 'NoResources', hint: `${why}; pass --skip-empty to accept that` });
}

async function readText(path: string): Promise<string> {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fsError(err, path);
  }
}

export function parseText(text: string, file: string): ManifestResource[] {
  const out: ManifestResource[] = [];
  splitDocuments(text).forEach((doc, i) => {
    if (isBlank(doc)) return;
    out.push(...parseDocument(doc, file, i + 1));
  });
  return out;
}
