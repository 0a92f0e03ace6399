/**
 * The resource verbs that write: create, apply, replace and delete (runWrite, one engine run over
 * the items of -f or KIND NAME...), patch and label (one resource named on the command line).
 */
import { buildReport, dryRunDiff, type Report } from '../render/apply-report.js';
import {
  ApplyEngine,
  type EngineItem,
  type FileVerb,
  type LabelChange,
  type ResourceResult,
  type Verb,
} from '../../apply/engine.js';
import { parsePatch } from '../../apply/merge-patch.js';
import { InputError } from '../../errors.js';
import { resolveKind } from '../../resources/registry.js';
import { withDatastore } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';
import { collectItems, type SingleResourceFlags, type WriteFlags } from '../resource-items.js';

function toCommandResult(
  report: Report,
  results: readonly ResourceResult[],
  flags: { output: string; 'dry-run': boolean },
): CommandResult<unknown> {
  if (flags.output === 'json') return { data: report.json, json: true, exitCode: report.exitCode };
  let text = report.stdout;
  if (flags['dry-run'])
    text =
      results
        .filter((r) => r.outcome !== 'failed')
        .map(dryRunDiff)
        .join('') + text.replace(/^Successfully /, 'Dry run: would have ');
  return { data: report.json, text, stderr: report.stderr, exitCode: report.exitCode };
}

/** Runs one writing verb end to end. */
export async function runWrite(
  verb: FileVerb,
  flags: WriteFlags,
  args: readonly string[],
  extra: { skipExists?: boolean; skipNotExists?: boolean } = {},
): Promise<CommandResult<unknown>> {
  const items = await collectItems(flags, args);
  if (items === 'empty') return { data: buildReport(verb, []).json, text: 'No resources specified\n' };
  const results = await withDatastore(flags, async (ds) => {
    const engine = new ApplyEngine(ds, {
      namespace: flags.namespace,
      dryRun: flags['dry-run'],
      skipExists: extra.skipExists,
      skipNotExists: extra.skipNotExists,
      atomic: flags.atomic,
    });
    return engine.run(verb, items as EngineItem[]);
  });
  const report = buildReport(verb, results, { dryRun: flags['dry-run'], atomic: flags.atomic });
  return toCommandResult(report, results, flags);
}

/** Runs patch or label on the one resource KIND NAME. */
async function runSingle(
  verb: Extract<Verb, 'patch' | 'label'>,
  flags: SingleResourceFlags,
  kind: string,
  name: string,
  act: (engine: ApplyEngine, d: ReturnType<typeof resolveKind>) => Promise<ResourceResult>,
): Promise<CommandResult<unknown>> {
  const d = resolveKind(kind);
  if (name === '')
    throw new InputError('resource name may not be empty', { hint: `e.g. ${d.aliases[0]} my-name` });
  const result = await withDatastore(flags, (ds) =>
    act(new ApplyEngine(ds, { namespace: flags.namespace, dryRun: flags['dry-run'] }), d),
  );
  return toCommandResult(buildReport(verb, [result], { dryRun: flags['dry-run'] }), [result], flags);
}

export interface ResourceArgs {
  kind: string;
  name: string;
}

/** patch KIND NAME -p JSON. */
export async function runPatch(
  flags: SingleResourceFlags & { patch: string },
  { kind, name }: ResourceArgs,
): Promise<CommandResult<unknown>> {
  let patch: Record<string, unknown>;
  try {
    patch = parsePatch(flags.patch);
  } catch (err) {
    // Reported like every other patch failure ("hit error: ..."), without opening the datastore.
    if (!(err instanceof InputError)) throw err;
    const d = resolveKind(kind);
    const failed: ResourceResult = { kind: d.kind, name, outcome: 'failed', error: err };
    return toCommandResult(buildReport('patch', [failed]), [failed], flags);
  }
  return runSingle('patch', flags, kind, name, (engine, d) => engine.patch(d, name, patch));
}

/** Parses label's `key=value` (or `key` with --remove) as calicoctl does. */
function parseLabelArg(arg: string, opts: { overwrite: boolean; remove: boolean }): LabelChange {
  if (opts.remove) {
    if (opts.overwrite) throw new InputError('--overwrite and --remove cannot be used together');
    return { key: arg, remove: true };
  }
  const kv = arg.split('=');
  if (kv.length !== 2)
    throw new InputError(`invalid label ${arg}`, {
      code: 'InvalidLabel',
      hint: 'give key=value, or key with --remove',
    });
  return { key: kv[0]!, value: kv[1]!, overwrite: opts.overwrite };
}

/** label KIND NAME key=value | key --remove. */
export async function runLabel(
  flags: SingleResourceFlags & { overwrite: boolean; remove: boolean },
  { kind, name, label }: ResourceArgs & { label: string },
): Promise<CommandResult<unknown>> {
  const change = parseLabelArg(label, flags);
  return runSingle('label', flags, kind, name, (engine, d) =>
    engine.label(d, name, change, `${kind} ${name}`),
  );
}
