/**
 * `ippool migrate` end to end on the embedded store and a real etcd: a move to a new pool and a
 * block-size change through a temporary pool, each re-run at every step, with a concurrent writer,
 * and with bad flags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ExitCode } from '../../../src/errors.js';
import { migratePool, MIGRATED_FROM, RESIZE_IPIP, RESIZE_VXLAN } from '../../../src/pools/migrate.js';
import { cli, dump, harness, poolKey, seed, storedPool, value, withDs, type Backend } from './harness.js';

const h = harness();
beforeAll(() => h.start(), 30_000);
afterAll(() => h.stop());

const BLOCK_KEY = '/calico/ipam/v2/assignment/ipv4/block/10.1.0.0-26';
const AFFINITY_KEY = '/calico/ipam/v2/host/n1/ipv4/block/10.1.0.0-26';

/** A /26 at 10.1.0.0 owned by n1, holding a tunnel address (ordinal 0) and a pod (ordinal 1), or empty. */
function block(held: boolean): string {
  const allocations = Array.from({ length: 64 }, (_, i) => (held && i < 2 ? i : null));
  const unallocated = Array.from({ length: 64 }, (_, i) => i).filter((i) => !held || i >= 2);
  const attributes = held
    ? [
        { handle_id: 'ipip-tunnel-addr-n1', secondary: { node: 'n1', type: 'ipipTunnelAddress' } },
        {
          handle_id: 'k8s-pod-network.abc',
          secondary: {
            namespace: 'shop',
            node: 'n1',
            pod: 'web-0',
            timestamp: '2026-06-01 10:00:00 +0000 UTC',
          },
        },
      ]
    : [];
  return (
    `{"cidr":"10.1.0.0/26","affinity":"host:n1","allocations":${JSON.stringify(allocations)},` +
    `"unallocated":${JSON.stringify(unallocated)},"attributes":${JSON.stringify(attributes)},` +
    `"sequenceNumber":1780308000000000002,"sequenceNumberForAllocation":{},"deleted":false}`
  );
}

const OLD = storedPool('old', { cidr: '10.1.0.0/16', ipipMode: 'Always', natOutgoing: true });

async function setKey(backend: Backend, key: string, v: string): Promise<void> {
  await withDs(backend, async (ds) => {
    const kv = await ds.get(key);
    await ds.update(key, v, kv!.modRevision);
  });
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { left: number };

describe.each(h.backends)('ippool migrate on $name', (backend) => {
  const run = (...args: string[]) => cli(backend, 'ippool', 'migrate', ...args);

  it('moves to a new pool step by step, resumable, and deletes the old one only when drained', async () => {
    await seed(backend, {
      [poolKey('old')]: OLD,
      [BLOCK_KEY]: block(true),
      [AFFINITY_KEY]: '{"state":"confirmed","deleted":false}',
    });
    const first = await run('old', '--to', 'new', '--cidr', '10.2.0.0/16', '--vxlan=Always', '-o', 'json');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r1 = json(first.stdout);
    expect(r1).toMatchObject({
      kind: 'move',
      old: 'old',
      new: 'new',
      outcome: 'waiting',
      stepReached: 3,
      left: 2,
    });
    expect(r1.actions).toEqual(['created IPPool(new) 10.2.0.0/16 blockSize 26', 'disabled IPPool(old)']);
    const created = JSON.parse((await value(backend, poolKey('new')))!);
    expect(created.metadata.annotations).toEqual({ [MIGRATED_FROM]: 'old' });
    expect(created.spec).toEqual({
      cidr: '10.2.0.0/16',
      vxlanMode: 'Always',
      ipipMode: 'Never',
      natOutgoing: true,
      blockSize: 26,
      nodeSelector: 'all()',
      allowedUses: ['Workload', 'Tunnel'],
      assignmentMode: 'Automatic',
    });
    expect(await value(backend, poolKey('old'))).toBe(
      storedPool('old', { cidr: '10.1.0.0/16', ipipMode: 'Always', natOutgoing: true, disabled: true }),
    );

    // Re-running (with or without the flags) changes nothing and reports the same step.
    const afterStart = await dump(backend);
    const again = await run('old', '--to', 'new', '--cidr', '10.2.0.0/16', '--vxlan=Always');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('n1     shop        web-0   10.1.0.1   pod');
    expect(again.stdout).toContain('n1                         10.1.0.0   ipipTunnelAddress');
    const status = await run('old', '--status', '-o', 'json');
    expect(json(status.stdout)).toMatchObject({ outcome: 'waiting', stepReached: 3, left: 2 });
    expect(await dump(backend)).toEqual(afterStart);

    // --finish while addresses are held: refused, naming them, nothing written.
    const refused = await run('old', '--finish');
    expect(refused.code).toBe(ExitCode.Refused);
    expect(refused.stdout).toContain('web-0');
    expect(refused.stderr).toContain('refused to delete IPPool(old): 2 address(es) still held');
    expect(await dump(backend)).toEqual(afterStart);

    // The workloads restarted: only released addresses remain.
    await setKey(backend, BLOCK_KEY, block(false));
    const ready = await run('old', '--status', '-o', 'json');
    expect(json(ready.stdout)).toMatchObject({ outcome: 'readyToFinish', stepReached: 4, left: 0 });
    const finish = await run('old', '--finish', '-o', 'json');
    expect(finish.code).toBe(0);
    expect(json(finish.stdout)).toMatchObject({
      outcome: 'complete',
      stepReached: 5,
      actions: ['deleted IPPool(old)'],
    });
    expect(await value(backend, poolKey('old'))).toBeUndefined();
    expect(await value(backend, BLOCK_KEY)).toBeUndefined();
    expect(await value(backend, AFFINITY_KEY)).toBeUndefined();
    const done = await run('old', '--finish');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('All 4 steps done. Complete: nothing left to do.');
  });

  it('changes the block size through a temporary pool', async () => {
    await seed(backend, {
      [poolKey('old')]: OLD,
      [BLOCK_KEY]: block(false),
      [AFFINITY_KEY]: '{"state":"confirmed","deleted":false}',
    });
    const start = await run('old', '--block-size', '24', '--temp-cidr', '10.9.0.0/16', '-o', 'json');
    expect(start.code).toBe(0);
    expect(json(start.stdout)).toMatchObject({
      kind: 'resize',
      temporary: 'old-tmp',
      blockSize: 24,
      outcome: 'readyToFinish',
      stepReached: 4,
    });
    const first = await run('old', '--finish', '-o', 'json');
    expect(first.code).toBe(0);
    expect(json(first.stdout).actions).toEqual([
      'deleted IPPool(old)',
      'created IPPool(old) 10.1.0.0/16 blockSize 24',
      'disabled IPPool(old-tmp)',
      'deleted IPPool(old-tmp)',
    ]);
    const pool = JSON.parse((await value(backend, poolKey('old')))!);
    expect(pool.spec).toMatchObject({
      cidr: '10.1.0.0/16',
      blockSize: 24,
      ipipMode: 'Always',
      natOutgoing: true,
    });
    expect(pool.spec.disabled).toBeUndefined();
    expect(await value(backend, poolKey('old-tmp'))).toBeUndefined();
    const status = await run('old', '--status', '-o', 'json');
    expect(json(status.stdout)).toMatchObject({ kind: 'resize', outcome: 'complete', stepReached: 9 });
  });

  it('re-creates the pool with --vxlan given at the start, and refuses other modes later', async () => {
    await seed(backend, { [poolKey('old')]: OLD });
    const start = await run('old', '--block-size', '24', '--temp-cidr', '10.9.0.0/16', '--vxlan=Always');
    expect(start.code).toBe(0);
    const temp = JSON.parse((await value(backend, poolKey('old-tmp')))!);
    expect(temp.spec).toMatchObject({ ipipMode: 'Always', vxlanMode: 'Never', blockSize: 26 });
    expect(temp.metadata.annotations).toMatchObject({ [RESIZE_VXLAN]: 'Always' });
    expect(temp.metadata.annotations[RESIZE_IPIP]).toBeUndefined();

    const before = await dump(backend);
    const other = await run('old', '--block-size', '24', '--ipip=CrossSubnet', '--finish');
    expect(other.code).toBe(ExitCode.BadInput);
    expect(other.stderr).toContain(
      '--ipip=CrossSubnet does not match the migration in progress (IPPool(old-tmp) re-creates old with --vxlan=Always)',
    );
    expect(await dump(backend)).toEqual(before);

    const finish = await run('old', '--block-size', '24', '--vxlan=always', '--finish');
    expect(finish.code).toBe(0);
    const pool = JSON.parse((await value(backend, poolKey('old')))!);
    expect(pool.spec).toMatchObject({
      blockSize: 24,
      ipipMode: 'Never',
      vxlanMode: 'Always',
      natOutgoing: true,
    });
    expect(await value(backend, poolKey('old-tmp'))).toBeUndefined();
  });

  it('a concurrent writer at a step: conflict (exit 4), nothing written, and the next run resumes', async () => {
    await seed(backend, { [poolKey('old')]: OLD });
    const changed = storedPool('old', { cidr: '10.1.0.0/16', ipipMode: 'Always' });
    const err = await withDs(backend, (ds) =>
      migratePool(ds, {
        old: 'old',
        to: 'new',
        cidr: '10.2.0.0/16',
        encap: {},
        finish: false,
        status: false,
        dryRun: false,
        beforeWrite: async () => {
          const kv = await ds.get(poolKey('old'));
          await ds.update(poolKey('old'), changed, kv!.modRevision);
        },
      }).catch((e: unknown) => e),
    );
    expect(err).toMatchObject({ exitCode: ExitCode.Conflict });
    expect((err as Error).message).toContain('changed since it was read; nothing was written');
    expect(await value(backend, poolKey('new'))).toBeUndefined();
    expect(await value(backend, poolKey('old'))).toBe(changed);
    const resumed = await run('old', '--to', 'new', '--cidr', '10.2.0.0/16');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Step reached: 4 of 4.');

    // At the delete step too: the pool moved after it was read, so it is not deleted.
    const finishErr = await withDs(backend, (ds) =>
      migratePool(ds, {
        old: 'old',
        encap: {},
        finish: true,
        status: false,
        dryRun: false,
        settleMs: 0,
        beforeWrite: async () => {
          const kv = await ds.get(poolKey('old'));
          await ds.update(
            poolKey('old'),
            kv!.value.replace('"natOutgoing"', '"disableBGPExport":true,"x":1,"natOutgoing"'),
            kv!.modRevision,
          );
        },
      }).catch((e: unknown) => e),
    );
    expect(finishErr).toMatchObject({ exitCode: ExitCode.Conflict });
    expect(await value(backend, poolKey('old'))).toBeDefined();
  });

  it('bad flags: a clear error, nothing written', async () => {
    await seed(backend, {
      [poolKey('old')]: OLD,
      [poolKey('other')]: storedPool('other', { cidr: '10.3.0.0/16' }),
    });
    const before = await dump(backend);
    const cases: [string[], number, string][] = [
      [
        ['old', '--to', 'new', '--cidr', '10.1.128.0/17'],
        ExitCode.BadInput,
        'IPPool(new) CIDR overlaps with IPPool(old) CIDR 10.1.0.0/16',
      ],
      [['old', '--to', 'new', '--cidr', '10.0.0.0/8'], ExitCode.BadInput, 'CIDR overlaps with IPPool(other)'],
      [
        ['gone', '--to', 'new', '--cidr', '10.2.0.0/16'],
        ExitCode.BadInput,
        'resource does not exist: IPPool(gone)',
      ],
      [['old', '--to', 'new'], ExitCode.BadInput, '--cidr is required to create IPPool(new)'],
      [
        ['old', '--to', 'new', '--cidr', '10.2.0.0/16', '--ipip=Always', '--vxlan=Always'],
        ExitCode.BadInput,
        'both encapsulations',
      ],
      [
        ['old', '--to', 'new', '--cidr', '10.2.0.0/16', '--vxlan=Sometimes'],
        ExitCode.BadInput,
        'is not an encapsulation mode',
      ],
      [
        ['old', '--to', 'new', '--cidr', 'fd00::/64', '--ipip=Always'],
        ExitCode.BadInput,
        'IPIP is not supported on an IPv6 IP pool',
      ],
      [
        ['old', '--to', 'new', '--cidr', '10.2.0.0/16', '--block-size', '19'],
        ExitCode.BadInput,
        'IPv4 block size must be between 20 and 32',
      ],
      [
        ['old', '--to', 'other', '--cidr', '10.2.0.0/16'],
        ExitCode.Refused,
        'IPPool(other) exists and was not created by a migration from IPPool(old)',
      ],
      [['old', '--status'], ExitCode.BadInput, 'no migration of IPPool(old) is in progress'],
      [
        ['old', '--block-size', '24', '--temp-cidr', '10.9.0.0/16', '--ipip=Never'],
        ExitCode.BadInput,
        'IPPool(old) would be left with neither IPIP nor VXLAN',
      ],
      [
        ['old', '--block-size', '19', '--temp-cidr', '10.9.0.0/16'],
        ExitCode.BadInput,
        'IPv4 block size must be between 20 and 32',
      ],
      [['old', '--vxlan=Always'], ExitCode.BadInput, '--ipip/--vxlan set the new pool of a move (--to)'],
    ];
    for (const [args, code, text] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toContain(text);
    }
    expect(await dump(backend)).toEqual(before);
  });
});
