/**
 * `validate -f FILE`: checks resource files offline and never opens a datastore. Shared by the
 * oclif command and the fast start-up path, so it imports no oclif.
 */
import { validateOffline, type ResourceResult } from '../../apply/engine.js';
import { buildReport } from '../render/apply-report.js';
import { InputError, isCalicoError } from '../../errors.js';
import type { CommandResult } from '../emit.js';
import { collectItems, type FileFlags } from '../resource-items.js';

export interface ValidateFlags extends FileFlags {
  output: string;
}

export async function runValidate(flags: ValidateFlags): Promise<CommandResult<unknown>> {
  if (flags.filename === undefined) {
    throw new InputError('validate needs -f FILE', { hint: 'e.g. calicoctl-ts validate -f ippool.yaml' });
  }
  const json = flags.output === 'json';
  const items = await collectItems(flags, []);
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
