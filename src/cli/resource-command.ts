/**
 * Shared plumbing of the resource commands (get/create/apply/replace/delete/validate): flags,
 * turning -f or KIND NAME... into engine items, and running the engine inside a datastore session.
 */
import { Args, Flags } from '@oclif/core';

import { buildReport, dryRunDiff, type Report } from '../apply/report.js';
import {
  ApplyEngine,
  type EngineItem,
  type FileVerb,
  type LabelChange,
  type ResourceResult,
  type Verb,
} from '../apply/engine.js';
import { parsePatch } from '../apply/merge-patch.js';
import { InputError, isCalicoError } from '../errors.js';
import { loadManifests, type ManifestResource } from '../resources/manifest.js';
import { resolveKind } from '../resources/registry.js';
import { API_VERSION } from '../resources/types.js';
import type { CommandResult } from './base-command.js';
import { withDatastore, type DatastoreFlags } from './datastore-session.js';
import { datastoreFlags, dryRunFlag } from './flags.js';

export const fileFlags = {
  filename: Flags.string({
    char: 'f',
    summary: 'File or directory of resources (YAML or JSON); - reads stdin.',
    helpValue: '<FILE>',
  }),
  recursive: Flags.boolean({
    char: 'R',
    summary: 'With a directory for -f, also read its subdirectories.',
    default: false,
  }),
  'skip-empty': Flags.boolean({ summary: 'An empty file or directory is not an error.', default: false }),
  namespace: Flags.string({
    char: 'n',
    summary: 'Namespace of namespaced resources (default: "default").',
    helpValue: '<NS>',
  }),
};

const summaryOutputFlag = Flags.string({
  char: 'o',
  summary: 'Output format of the result summary.',
  options: ['text', 'json'],
  default: 'text',
});

export const writeFlags = {
  ...datastoreFlags,
  ...fileFlags,
  'dry-run': dryRunFlag,
  atomic: Flags.boolean({
    summary: 'Write every resource in one transaction, or nothing (at most 128 resources).',
    default: false,
  }),
  output: summaryOutputFlag,
};

/** The optional KIND argument of create/apply/replace/delete (KIND NAME... instead of -f). */
export const fileVerbArgs = {
  kind: Args.string({
    ignoreStdin: true,
    description: 'Kind (with -f omitted): ippool, bgppeer, ... (case-insensitive aliases).',
  }),
};

/** The examples create/apply/replace/delete share; `byName` are listed after the first. */
export function fileVerbExamples(
  verb: FileVerb,
  byName: readonly { description: string; command: string }[] = [],
): { description: string; command: string }[] {
  const bin = '<%= config.bin %>';
  return [
    { description: 'From a file', command: `${bin} ${verb} -f ippool.yaml` },
    ...byName,
    { description: 'From stdin', command: `cat bgppeers.yaml | ${bin} ${verb} -f -` },
    { description: 'Every manifest in a directory tree', command: `${bin} ${verb} -f manifests/ -R` },
    {
      description: 'Show what would change, write nothing',
      command: `${bin} ${verb} -f ippool.yaml --dry-run`,
    },
    { description: 'Result summary as JSON', command: `${bin} ${verb} -f ippool.yaml -o json` },
  ];
}

/** Flags of the commands that change one resource named on the command line (patch, label). */
export const singleResourceFlags = {
  ...datastoreFlags,
  namespace: fileFlags.namespace,
  'dry-run': dryRunFlag,
  output: summaryOutputFlag,
};

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface WriteFlags extends DatastoreFlags {
  filename?: string;
  recursive: boolean;
  'skip-empty': boolean;
  namespace?: string;
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
  flags: WriteFlags,
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

/** patch KIND NAME -p JSON. */
export async function runPatch(
  flags: SingleResourceFlags,
  kind: string,
  name: string,
  patchText: string,
): Promise<CommandResult<unknown>> {
  let patch: Record<string, unknown>;
  try {
    patch = parsePatch(patchText);
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
export function parseLabelArg(arg: string, opts: { overwrite: boolean; remove: boolean }): LabelChange {
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
  flags: SingleResourceFlags,
  kind: string,
  name: string,
  change: LabelChange,
): Promise<CommandResult<unknown>> {
  return runSingle('label', flags, kind, name, (engine, d) =>
    engine.label(d, name, change, `${kind} ${name}`),
  );
}
