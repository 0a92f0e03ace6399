/**
 * `validate -f FILE`: checks resource files offline and never opens a datastore. Shared by the
 * oclif command and the fast start-up path, so it imports no oclif.
 */
import { validateOffline, type ResourceResult } from '../../apply/engine.js';
import { buildReport } from '../../apply/report.js';
import { InputError, isCalicoError } from '../../errors.js';
import { loadManifests, type ManifestResource } from '../../resources/manifest.js';
import type { CommandResult } from '../emit.js';

export interface ValidateFlags {
  filename?: string;
  recursive: boolean;
  'skip-empty': boolean;
  namespace?: string;
  output: string;
}

export async function runValidate(flags: ValidateFlags): Promise<CommandResult<unknown>> {
  if (flags.filename === undefined) {
    throw new InputError('validate needs -f FILE', { hint: 'e.g. calicoctl-ts validate -f ippool.yaml' });
  }
  const json = flags.output === 'json';
  const items = await readItems(flags.filename, flags);
  if (items === 'empty') {
    return { data: buildReport('validate', []).json, json, text: 'No resources specified\n' };
  }
  const results: ResourceResult[] = items.map((item) => {
    const base = { kind: item.descriptor.kind, name: item.resource.metadata.name ?? '' };
    try {
      validateOffline(item.descriptor, item.resource);
      return { ...base, outcome: 'validated' };
    } catch (err) {
      if (!isCalicoError(err)) throw err;
      return { ...base, outcome: 'failed', error: err };
    }
  });
  const report = buildReport('validate', results);
  if (json) return { data: report.json, json, exitCode: report.exitCode };
  return { data: report.json, text: report.stdout, stderr: report.stderr, exitCode: report.exitCode };
}

async function readItems(path: string, flags: ValidateFlags): Promise<ManifestResource[] | 'empty'> {
  try {
    return await loadManifests(path, { recursive: flags.recursive, readStdin });
  } catch (err) {
    if (flags['skip-empty'] && isCalicoError(err) && err.code === 'NoResources') return 'empty';
    throw err;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
