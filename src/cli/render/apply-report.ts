/**
 * The one reporter for create/apply/replace/delete/validate: calicoctl v3.32.1's exact lines for
 * success, partial success and failure, a documented exit code, and the JSON summary of `-o json`.
 */
import { ExitCode } from '../../errors.js';
import type { ResourceResult, Verb } from '../../apply/engine.js';

export interface Report {
  stdout: string;
  stderr: string;
  exitCode: ExitCode;
  json: ReportJson;
}

export interface ReportJson {
  verb: Verb;
  dryRun: boolean;
  /** Present (true) when --atomic was given: everything was written, or nothing. */
  atomic?: boolean;
  total: number;
  succeeded: number;
  failed: number;
  results: {
    kind: string;
    name: string;
    namespace?: string;
    outcome: string;
    resourceVersion?: string;
    error?: { code: string; message: string; hint?: string };
    /** label only. */
    label?: { action: string; key: string };
  }[];
}

const PAST: Record<Verb, string> = {
  create: 'created',
  apply: 'applied',
  replace: 'replaced',
  delete: 'deleted',
  validate: 'validated',
  patch: 'patched',
  label: 'labelled',
};

/** calicoctl's massageError: an unknown-field error anywhere in the text becomes the whole message. */
function massage(msg: string): string {
  const m = /unknown field "([^"]+)"|not recognized or is in the wrong location: (\S+)/.exec(msg);
  return m ? `field in document is not recognized or is in the wrong location: ${m[1] ?? m[2]}` : msg;
}

/** Go's %v of a []error. */
function errList(results: readonly ResourceResult[]): string {
  return `[${results.map((r) => r.error?.message ?? '').join(' ')}]`;
}

function exitCodeFor(failed: readonly ResourceResult[], anySucceeded: boolean): ExitCode {
  if (failed.length === 0) return ExitCode.Ok;
  if (anySucceeded) return ExitCode.Failed;
  const codes = new Set(failed.map((r) => r.error?.exitCode ?? ExitCode.Failed));
  return codes.size === 1 ? ([...codes][0] as ExitCode) : ExitCode.Failed;
}

export interface ReportOptions {
  dryRun?: boolean;
  atomic?: boolean;
}

export function buildReport(
  verb: Verb,
  results: readonly ResourceResult[],
  opts: ReportOptions = {},
): Report {
  const dryRun = opts.dryRun ?? false;
  const total = results.length;
  const failed = results.filter((r) => r.outcome === 'failed');
  const handled = results.filter((r) => r.outcome !== 'failed' && r.outcome !== 'aborted').length;
  const kinds = new Set(results.map((r) => r.kind));
  const single = kinds.size === 1 ? [...kinds][0]! : '';
  // calicoctl names the kind when every resource was of one kind: "3 'IPPool' resource(s)".
  const ofKind = single ? `'${single}' ` : '';
  const past = PAST[verb];
  let stdout = '';
  let stderr = '';
  if (total === 0) {
    stdout = 'No resources specified\n';
  } else if (opts.atomic && failed.length > 0) {
    stderr = `${verb} --atomic failed; nothing was written: ${errList(failed)}\n`;
  } else if (verb === 'patch') {
    // calicoctl patch: one resource; "hit error" wraps whatever failed.
    if (failed.length === 0) stdout = `Successfully ${past} ${total} '${single}' resource\n`;
    else stderr = `${massage(`hit error: ${failed[0]!.error?.message}`)}\n`;
  } else if (verb === 'label') {
    const r = results[0]!;
    // calicoctl's label messages hide the cause of a failed get or update: give it as a hint.
    if (r.error) stderr = `${r.error.message}\n${r.error.hint ? `hint: ${r.error.hint}\n` : ''}`;
    else if (r.label?.action === 'removed')
      stdout = `Successfully removed label ${r.label.key} from ${r.label.target}\n`;
    else if (r.label) stdout = `Successfully ${r.label.action} label ${r.label.key} on ${r.label.target}\n`;
  } else if (verb === 'delete') {
    if (handled > 0) stdout = `Successfully ${past} ${handled} ${ofKind}resource(s)\n`;
    for (const r of failed) stderr += `Failed to delete ${ofKind}resource: ${r.error?.message}\n`;
  } else if (verb === 'replace') {
    // calicoctl counts failed replaces as handled and keeps only the last error.
    const last = failed[failed.length - 1];
    if (!last) {
      stdout = `Successfully ${past} ${total} ${ofKind}resource(s)\n`;
    } else {
      stdout = `Partial success: replaced the first ${total} out of ${total} ${ofKind}resources:\n`;
      stderr = `hit error: ${last.error?.message}\n`;
    }
  } else if (handled === 0) {
    const list = errList(failed);
    if (total === 1) stderr = `failed to ${verb} ${ofKind}resource: ${list}\n`;
    else stderr = `failed to ${verb} any ${ofKind}resources: ${list}\n`;
  } else if (failed.length === 0) {
    stdout = `Successfully ${past} ${handled} ${ofKind}resource(s)\n`;
  } else {
    if (handled - failed.length > 0)
      stdout = `Partial success: ${past} the first ${handled} out of ${total} ${ofKind}resources:\n`;
    stderr = `${verb === 'create' ? 'hit error' : 'hit error(s)'}: ${errList(failed)}\n`;
  }
  // Bad input also says where it came from: file, document and resource (calicoctl does not).
  for (const r of failed)
    if (r.source && r.error?.exitCode === ExitCode.BadInput)
      stderr += `hint: ${r.source.file === '-' ? 'stdin' : r.source.file}, document ${r.source.document}, ${r.kind} '${r.name}': ${r.error.hint ?? 'fix the resource'}\n`;
  // A datastore that could not be reached says how to go on (and whether the last write may have
  // been applied): once per distinct hint, as the error choke point prints it for other commands.
  const datastoreHints = new Set(
    failed.flatMap((r) => (r.error?.exitCode === ExitCode.Unreachable && r.error.hint ? [r.error.hint] : [])),
  );
  for (const hint of datastoreHints) stderr += `hint: ${hint}\n`;
  return {
    stdout,
    stderr,
    exitCode: exitCodeFor(failed, handled > 0),
    json: {
      verb,
      dryRun,
      ...(opts.atomic ? { atomic: true } : {}),
      total,
      succeeded: handled,
      failed: failed.length,
      results: results.map((r) => ({
        kind: r.kind,
        name: r.name,
        ...(r.namespace ? { namespace: r.namespace } : {}),
        outcome: r.outcome,
        ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}),
        ...(r.label ? { label: { action: r.label.action, key: r.label.key } } : {}),
        ...(r.error
          ? {
              error: {
                code: r.error.code,
                message: r.error.message,
                ...(r.error.hint ? { hint: r.error.hint } : {}),
              },
            }
          : {}),
      })),
    },
  };
}

/** A unified-style diff of two Go JSON values (pretty-printed one field per line) for --dry-run. */
export function dryRunDiff(r: ResourceResult): string {
  const pretty = (s: string | undefined) =>
    s === undefined ? [] : JSON.stringify(JSON.parse(s), null, 2).split('\n');
  const before = pretty(r.before);
  const after = pretty(r.after);
  const id = `${r.kind}(${r.namespace ? `${r.namespace}/` : ''}${r.name})`;
  if (r.before !== undefined && r.before === r.after) return `= ${id} unchanged\n`;
  let out = `--- ${r.before === undefined ? '/dev/null' : `stored ${id}`}\n+++ ${r.after === undefined ? '/dev/null' : `new ${id}`}\n`;
  const beforeSet = new Set(before);
  const afterSet = new Set(after);
  for (const line of before) if (!afterSet.has(line)) out += `-${line}\n`;
  for (const line of after) out += afterSet.has(line) && beforeSet.has(line) ? ` ${line}\n` : `+${line}\n`;
  return out;
}
