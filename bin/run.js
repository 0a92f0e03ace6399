#!/usr/bin/env node
import { setTimeout } from 'node:timers';
// Help and the commands that need no datastore start without oclif (docs/architecture.md, "Start-up").
const argv = process.argv.slice(2);
const fast = process.env.CALICOCTL_TS_NO_FAST_PATH ? undefined : await import('../dist/fast/bundle/main.js');
if (!(await fast?.runFast(argv, new URL('../dist/fast-path.json', import.meta.url)))) {
  if (process.env.CALICOCTL_TS_TRACE_STARTUP === '1') process.stderr.write('start-up: oclif\n');
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
// The command has finished and printed everything. A connection attempt to an address that drops
// packets outlives it (grpc-js does not abort a TCP connect in progress, and the kernel retries for
// about two minutes): it must not keep the process alive. unref: a clean exit happens sooner.
setTimeout(() => process.exit(), 100).unref();
