/**
 * The resources a resource command acts on, from -f FILE (files, directories, stdin) or from
 * KIND NAME... on the command line: read once here for get, validate and the writing verbs.
 * No oclif and no datastore, so `validate`'s fast-path bundle stays small.
 */
import { InputError, isCalicoError } from '../errors.js';
import { loadManifests, type ManifestResource } from '../resources/manifest.js';
import { resolveKind } from '../resources/registry.js';
import { API_VERSION } from '../resources/types.js';
import type { DatastoreFlags } from './datastore-session.js';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** -f and what goes with it. */
export interface FileFlags {
  filename?: string;
  recursive: boolean;
  'skip-empty': boolean;
  namespace?: string;
}

export interface WriteFlags extends DatastoreFlags, FileFlags {
  'dry-run': boolean;
  atomic?: boolean;
  output: string;
}

export interface SingleResourceFlags extends DatastoreFlags {
  namespace?: string;
  'dry-run': boolean;
  output: string;
}

/** Resources from -f, or from KIND NAME... on the command line. */
export async function collectItems(
  flags: FileFlags,
  args: readonly string[],
): Promise<ManifestResource[] | 'empty'> {
  if (flags.filename !== undefined) {
    if (args.length > 0) throw new InputError('give either -f FILE or KIND NAME..., not both');
    try {
      return await loadManifests(flags.filename, { recursive: flags.recursive, readStdin });
    } catch (err) {
      if (flags['skip-empty'] && isCalicoError(err) && err.code === 'NoResources') return 'empty';
      throw err;
    }
  }
  const [kind, ...names] = args;
  if (!kind) throw new InputError('no resources specified', { hint: 'give -f FILE or KIND NAME...' });
  const d = resolveKind(kind);
  if (names.length === 0 || names.some((n) => n === ''))
    throw new InputError('resource name may not be empty', { hint: `e.g. ${d.aliases[0]} my-name` });
  return names.map((name) => ({
    resource: { kind: d.kind, apiVersion: API_VERSION, metadata: { name } },
    descriptor: d,
    file: '',
    document: 0,
  }));
}
