/**
 * `ipam release --from-report` (calicoctl v3.32.1 `commands/ipam/release.go` releaseFromReports):
 * refuses unless every report is from this cluster (GUID; not overridable), from this client
 * version (unless --force), at least one is current (ClusterInformation resourceVersion), and the
 * datastore is locked (unless --force). Then releases the addresses that are unused in every report
 * (each with the report's handle and sequence number, so an address reassigned since is left alone)
 * and deletes the leaked handles whose revision has not changed. The lines are calicoctl's.
 */
import { parseGoJson } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { InputError, OperationError, RefusedError } from '../errors.js';
import { parseIP } from '../resources/ip.js';
import { CLUSTER_INFORMATION_KEY } from '../resources/well-known-keys.js';
import { readHandle } from './check-values.js';
import { handleKey } from './handles.js';
import { releaseIPs, type ReleaseRequest, type ReleaseResult } from './release.js';
import { mergeReports, readReportFile, type HandleInfo } from './report.js';

export interface ClusterInfoFacts {
  clusterGUID: string;
  clusterType: string;
  /** spec.datastoreReady is false. */
  locked: boolean;
  /** The resourceVersion: the key's modRevision as a decimal string. */
  resourceVersion: string;
}

/** ClusterInformation "default" as calicoctl's check and release read it. */
export async function readClusterInfo(ds: Datastore): Promise<ClusterInfoFacts> {
  const kv = await ds.get(CLUSTER_INFORMATION_KEY);
  if (!kv) {
    throw new OperationError('resource does not exist: ClusterInformation(default) with error: <nil>', {
      code: 'ResourceNotFound',
      hint: "calico-node creates it on start; 'datastore migrate lock' also creates it",
    });
  }
  let spec: Record<string, unknown> = {};
  try {
    const obj = parseGoJson(kv.value) as Record<string, unknown>;
    if (typeof obj['spec'] === 'object' && obj['spec'] !== null)
      spec = obj['spec'] as Record<string, unknown>;
  } catch (err) {
    throw new OperationError(
      `cannot decode ClusterInformation(default) at ${kv.key}: ${(err as Error).message}`,
      {
        code: 'CorruptData',
      },
    );
  }
  const str = (k: string): string => (typeof spec[k] === 'string' ? spec[k] : '');
  return {
    clusterGUID: str('clusterGUID'),
    clusterType: str('clusterType'),
    locked: spec['datastoreReady'] === false,
    resourceVersion: String(kv.modRevision),
  };
}

export interface HandleOutcome {
  deleted: string[];
  skipped: string[];
  errors: { handle: string; message: string }[];
}

export interface ReportReleaseResult {
  dryRun: boolean;
  /** calicoctl's stdout, line by line. */
  lines: string[];
  ips: ReleaseResult | null;
  handles: HandleOutcome | null;
  /** An address or handle failed for another reason than staleness (calicoctl exits 0; we exit 1). */
  failed: boolean;
}

export async function releaseFromReports(
  ds: Datastore,
  files: readonly string[],
  opts: { force: boolean; dryRun: boolean; version: string },
): Promise<ReportReleaseResult> {
  const info = await readClusterInfo(ds);
  const lines: string[] = [];
  let foundCurrent = false;
  const reports = files.map((file) => {
    const r = readReportFile(file);
    if (r.clusterGUID !== info.clusterGUID) {
      throw new RefusedError(
        `cluster does not match the provided report (${file}): mismatched cluster GUID. Refusing to release`,
        {
          code: 'ReportMismatch',
          hint: 'the report was written for another cluster; --force does not override this',
        },
      );
    }
    if (r.version !== opts.version) {
      if (!opts.force) {
        throw new RefusedError(
          `the provided report (${file}) was produced using a different version (${r.version}) of calicoctl. Refusing to release`,
          {
            code: 'ReportMismatch',
            hint: `regenerate it with this client (${opts.version}), or add --force`,
          },
        );
      }
      lines.push(
        'WARNING: Report was produced using a different version of calicoctl. Ignoring due to --force option',
      );
    }
    if (r.clusterInformationRevision === info.resourceVersion) foundCurrent = true;
    return r;
  });
  if (!foundCurrent) {
    throw new RefusedError(
      'the provided reports are all stale - at least one should be up-to-date. Please generate a new report while the data store is locked and try again',
      {
        code: 'StaleReport',
        hint: "run 'datastore migrate lock', then 'ipam check -o <file>', then release",
      },
    );
  }
  if (!info.locked) {
    if (!opts.force) {
      throw new RefusedError('data store is not locked. Either lock the data store, or re-run with --force', {
        code: 'DatastoreNotLocked',
        hint: "run 'datastore migrate lock' first so nothing allocates while addresses are released",
      });
    }
    lines.push('WARNING: Data store is not locked. Ignoring due to --force option');
  }

  const merged = mergeReports(reports);
  const requests: ReleaseRequest[] = merged.ips.map((a) => {
    const ip = parseIP(a.ip);
    if (!ip) {
      throw new InputError(`the report lists ${JSON.stringify(a.ip)}, which is not an IP address`, {
        hint: "regenerate the report with 'ipam check -o <file>'",
      });
    }
    return {
      ip,
      handle: a.handle,
      ...(a.sequenceNumber === undefined ? {} : { sequenceNumber: a.sequenceNumber }),
    };
  });

  const result: ReportReleaseResult = { dryRun: opts.dryRun, lines, ips: null, handles: null, failed: false };
  if (requests.length > 0) {
    const ips = await releaseIPs(ds, requests, { dryRun: opts.dryRun });
    result.ips = ips;
    if (opts.dryRun) {
      lines.push(`Would release ${ips.released.length} of ${requests.length} old IPs:`);
      for (const r of ips.released)
        lines.push(`  ${r.ip} (handle ${r.handle ?? '<none>'}, block ${r.block})`);
    } else {
      lines.push(`Releasing ${requests.length} old IPs...`);
    }
    const first = ips.failures[0];
    if (first) {
      lines.push(
        `An error occurred while releasing some IPs: ${first.message}.  ` +
          'Problems are often caused by an out-of-date IPAM report.  Try regenerating the IPAM report and retry.',
      );
      // A stale entry only means the address changed since the report (calicoctl exits 0 too).
      if (ips.failures.some((f) => !f.stale)) result.failed = true;
    } else if (!opts.dryRun) {
      lines.push(`Released ${requests.length - ips.notAssigned.length} IPs successfully`);
    }
    if (ips.notAssigned.length !== 0) {
      lines.push(
        `${ips.notAssigned.length} addresses marked as leaked in the report had already been cleaned up.`,
      );
    }
  } else {
    lines.push("Report didn't contain any leaked IPs to clean up.");
  }

  if (merged.handles.length > 0) {
    result.handles = await releaseHandles(ds, merged.handles, lines, opts.dryRun);
    if (result.handles.errors.length > 0) result.failed = true;
  } else {
    lines.push("Report didn't contain any handles to clean up.");
  }
  if (opts.dryRun) lines.push('Dry run: nothing was written.');
  else lines.push('You may now unlock the data store.');
  return result;
}

async function releaseHandles(
  ds: Datastore,
  handles: readonly HandleInfo[],
  lines: string[],
  dryRun: boolean,
): Promise<HandleOutcome> {
  const outcome: HandleOutcome = { deleted: [], skipped: [], errors: [] };
  lines.push(dryRun ? `Would delete ${handles.length} handles...` : `Deleting ${handles.length} handles...`);
  lines.push("Key: '.' = Deleted OK; 'x' = skip, handle missing/changed.");
  // calicoctl prints the marks as results arrive, on one line; an error breaks the line.
  let row = '';
  for (const h of [...handles].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))) {
    try {
      if (await deleteHandle(ds, h, dryRun)) {
        outcome.deleted.push(h.ID);
        row += '.';
      } else {
        outcome.skipped.push(h.ID);
        row += 'x';
      }
    } catch (err) {
      const message = (err as Error).message;
      outcome.errors.push({ handle: h.ID, message });
      lines.push(row, `Deleting handle ${h.ID} failed: ${message}.`);
      row = '';
    }
  }
  lines.push(row);
  lines.push(
    `${dryRun ? 'Would release' : 'Released'} ${outcome.deleted.length} handles; ${outcome.skipped.length} skipped; ${outcome.errors.length} errors.`,
  );
  return outcome;
}

/**
 * deleteHandle: only when the handle's revision (and UID) still match the report's, and (ours) only
 * a handle whose value can be read now: what nobody can read is never deleted on a report's word.
 */
async function deleteHandle(ds: Datastore, h: HandleInfo, dryRun: boolean): Promise<boolean> {
  const key = handleKey(h.ID);
  const kv = await ds.get(key);
  if (!kv || String(kv.modRevision) !== h.Revision || h.UID !== null) return false;
  const handle = readHandle(kv);
  if (handle !== true) {
    throw new Error(`refusing to delete it: its stored value cannot be decoded (${handle.reason})`);
  }
  if (dryRun) return true;
  const outcome = await ds.delete(key, kv.modRevision);
  return outcome.ok;
}
