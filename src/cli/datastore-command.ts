/**
 * The shape most datastore commands share: open a session, run one library call, and return its
 * result as JSON under `-o json` or as the text it renders to.
 */
import type { Datastore } from '../datastore/contract.js';
import { ExitCode, RefusedError } from '../errors.js';
import type { CommandResult } from './base-command.js';
import { withDatastore, type DatastoreFlags } from './datastore-session.js';

export async function runOnDatastore<T>(
  flags: DatastoreFlags & { output: string },
  work: (ds: Datastore) => Promise<T>,
  render: (result: T) => string,
): Promise<CommandResult<T>> {
  const data = await withDatastore(flags, work);
  return { data, json: flags.output === 'json', text: render(data) };
}

/**
 * A refusal (exit 5, nothing written): the explanation and its hint go to stderr, except under
 * `-o json`, where the result document already says why.
 */
export function refusal(
  output: string,
  explanation: string,
  hint: string,
): Pick<CommandResult<never>, 'exitCode' | 'failure'> {
  if (output === 'json') return { exitCode: ExitCode.Refused };
  return { failure: { error: new RefusedError(explanation, { hint }) } };
}
