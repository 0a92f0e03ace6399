/**
 * `node check --watch`: the full check once, then the check again whenever the kernel (links,
 * addresses, routes, neighbours, FDB: an `ip monitor` child in this network namespace) or what it
 * reads from the datastore (a watch of those prefixes) changes, changes coming close together
 * checked once; each time, only the findings that appeared and those that went away are printed.
 * Until Ctrl-C, which ends it with exit 0, as `ipam show --watch`. The check itself is the one-shot
 * `node check`'s: this only decides when to run it.
 */
import { setTimeout as delay } from 'node:timers/promises';

import { checkNode, type NodeCheckReport } from '../../dataplane/check.js';
import { clusterStatePrefixes, readClusterState } from '../../dataplane/cluster-state.js';
import { findingChanges, type Finding } from '../../dataplane/findings.js';
import { monitorKernel } from '../../dataplane/kernel-monitor.js';
import { resolveNodeName } from '../../dataplane/node-name.js';
import { renderFindingChange, renderFindings, renderNodeHeader } from '../render/dataplane.js';
import type { Datastore } from '../../datastore/contract.js';
import { follow } from '../../datastore/follow.js';
import { InputError } from '../../errors.js';
import { watchOutageMs, withDatastore } from '../datastore-session.js';
import { parseDuration } from '../duration.js';
import type { CommandResult } from '../emit.js';
import { toJsonLine } from '../json.js';
import { writeOut } from '../write.js';
import { startKernelRead, type NodeCheckFlags, type NodeTarget } from './node-check.js';

/** Changes this close together (a Felix resync, a link going down with its routes) are checked once. */
const COALESCE_MS = 200;

export async function watchNodeCheck(
  flags: NodeCheckFlags,
  env: NodeJS.ProcessEnv,
): Promise<CommandResult<undefined>> {
  for (const [flag, given] of [
    ['--load', (flags.load ?? []).length > 0],
    ['--save', flags.save !== undefined],
  ] as const) {
    if (given)
      throw new InputError(`--watch cannot be used with ${flag}`, {
        code: 'InvalidFlag',
        hint: '--watch follows the live kernel; save or check a saved state with a one-shot node check',
      });
  }
  const timeoutMs = parseDuration(flags.timeout);
  const target = resolveNodeName({ ...(flags.node ? { flag: flags.node } : {}), env });
  const json = flags.output === 'json';
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  const changes = new ChangeSignal(interrupt.signal);
  const kernel = monitorKernel(() => changes.raise());
  try {
    await withDatastore(flags, async (ds) => {
      const checking = checkOnChange(
        ds,
        target,
        flags['bird-socket'],
        timeoutMs,
        changes,
        (previous, report) =>
          writeOut(
            1,
            previous === undefined ? firstReport(report, json) : changeLines(previous, report, json),
          ),
      );
      checking.catch(() => undefined); // raced below; after Ctrl-C its end is no error
      await Promise.race([
        follow(
          ds,
          clusterStatePrefixes([target.node]),
          {
            load: () => (changes.raise(), ds.currentRevision()),
            apply: () => changes.raise(),
          },
          { outageMs: watchOutageMs(flags), done: () => false, signal: interrupt.signal },
        ),
        checking,
        kernel.ended,
      ]);
    });
  } finally {
    kernel.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
  return { data: undefined, text: '' };
}

/** Checks the node each time something changed, until the signal aborts; hands each report on. */
async function checkOnChange(
  ds: Datastore,
  target: NodeTarget,
  birdSocket: string | undefined,
  timeoutMs: number,
  changes: ChangeSignal,
  report: (previous: readonly Finding[] | undefined, current: NodeCheckReport) => void,
): Promise<void> {
  let previous: readonly Finding[] | undefined;
  while (await changes.next()) {
    const read = startKernelRead(target, birdSocket, timeoutMs);
    const cluster = await readClusterState(ds, [target.node]);
    const current = checkNode(
      cluster,
      await read(cluster.felixConfigurations),
      target.node,
      target.nodeSource,
    );
    report(previous, current);
    previous = current.findings;
  }
}

/** `node check`'s own output: the report as text, or as one JSON line. */
function firstReport(report: NodeCheckReport, json: boolean): string {
  if (json) return toJsonLine(report);
  return renderNodeHeader(report) + '\n' + renderFindings(report.findings, report.summary);
}

function changeLines(previous: readonly Finding[], report: NodeCheckReport, json: boolean): string {
  return findingChanges(previous, report.findings)
    .map((c) => (json ? toJsonLine(c) : renderFindingChange(c)))
    .join('');
}

/** "Something changed", raised any number of times, taken once per quiet interval. */
class ChangeSignal {
  private raised = false;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  raise(): void {
    this.raised = true;
    this.wake?.();
  }

  /** Resolves true once something changed and COALESCE_MS passed, false once aborted. */
  async next(): Promise<boolean> {
    if (!this.raised && !this.signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.signal.aborted) return false;
    try {
      await delay(COALESCE_MS, undefined, { signal: this.signal });
    } catch {
      return false;
    }
    this.raised = false;
    return true;
  }
}
