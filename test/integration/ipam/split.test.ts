/**
 * `ipam split` (calico.md §3.8, §8 row 37, calicoctl tests/st/calicoctl/test_ipam_split.py) with the
 * built CLI against a real etcd and the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { POOL_PREFIX } from '../../unit/ipam/fixtures.js';
import { startEmbeddedBackend, startEtcdBackend, type Backend } from './backends.js';

// ippool-name1 of calicoctl's test data (tests/st/utils/data.py), as stored.
const POOL1 =
  '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"ippool-name1","uid":"0c1d2e3f-2c1b-4c55-9d1e-0b8c2a6f4e22",' +
  '"creationTimestamp":"2026-06-01T10:00:00Z","labels":{"team":"net"},"annotations":{"note":"keep"}},' +
  '"spec":{"cidr":"10.0.1.0/24","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":27,' +
  '"nodeSelector":"foo == \'bar\'","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}';
const KEY1 = POOL_PREFIX + 'ippool-name1';
const firstLine = (s: string) => s.split('\n')[0];

describe.each([
  ['etcd', startEtcdBackend],
  ['embedded', async () => startEmbeddedBackend()],
])('ipam split on %s', (_name, start) => {
  let be: Backend;
  const cli = (...args: string[]) => runCli(args, { env: be.env });

  beforeAll(async () => {
    be = await start();
    await be.put(KEY1, POOL1);
  });
  afterAll(async () => be?.stop());

  it('refuses while the datastore is not locked, and leaves the pool alone', async () => {
    const noInfo = await cli('ipam', 'split', '--cidr=10.0.1.0/24', '4');
    expect(firstLine(noInfo.stderr)).toBe(
      'error while checking if datastore was locked: error retrieving ClusterInformation: resource does not exist: ClusterInformation(default) with error: <nil>',
    );
    expect(noInfo.code).toBe(1);
    expect((await cli('datastore', 'migrate', 'lock')).code).toBe(0);
    expect((await cli('datastore', 'migrate', 'unlock')).code).toBe(0);
    const r = await cli('ipam', 'split', '--cidr=10.0.1.0/24', '4');
    expect(firstLine(r.stderr)).toBe(
      'datastore is not locked. Run the `calicoctl datastore migrate lock` command in order split the IP pools',
    );
    expect(r.code).toBe(5);
    expect((await be.dump(KEY1))[KEY1]).toBe(POOL1);
  });

  it('rejects a missing pool, a number that is no power of 2, and one too large, writing nothing', async () => {
    expect((await cli('datastore', 'migrate', 'lock')).stdout).toBe('Datastore locked.\n');
    const cases: [string[], number, string][] = [
      [['--cidr=10.0.2.0/24', '4'], 1, 'unable to find IP pool  covering the specified CIDR 10.0.2.0/24'],
      [
        ['--name=nope', '4'],
        1,
        'unable to find IP pool with name nope: resource does not exist: IPPool(nope) with error: <nil>',
      ],
      [
        ['--cidr=10.0.1.0/24', '3'],
        2,
        'error splitting the CIDR 10.0.1.0/24 into 3 CIDRs: number to split CIDR into is not a valid power of 2: 3',
      ],
      [
        ['--cidr=10.0.1.0/24', '512'],
        2,
        'error splitting the CIDR 10.0.1.0/24 into 512 CIDRs: the CIDR 10.0.1.0/24 is not large enough to be split into 512 parts',
      ],
      [
        ['--cidr=10.0.1.0/24', 'x'],
        2,
        'error reading number to split IP pools into. x is not a valid number: strconv.Atoi: parsing "x": invalid syntax',
      ],
      [['4'], 2, 'no name or CIDR provided. Provide a name or CIDR to denote the IP pool to split'],
      [
        ['--cidr=10.0.1.0/24', '16'],
        2,
        "error using unsafe create to make split pool with cidr 10.0.1.0/28: error with field IPPool.Spec.CIDR = '10.0.1.0/28' " +
          '(IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)',
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli('ipam', 'split', ...args);
      expect(firstLine(r.stderr), args.join(' ')).toBe(message);
      expect(r.code, args.join(' ')).toBe(code);
    }
    expect(Object.keys(await be.dump(POOL_PREFIX))).toEqual([KEY1]);
    expect((await be.dump(KEY1))[KEY1]).toBe(POOL1);
  });

  it('splits into split-<name>-<i> with copied spec, labels and annotations, deleting the old pool', async () => {
    const r = await cli('ipam', 'split', '--cidr=10.0.1.0/24', '4');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'IP Pool ippool-name1 was successfully split into 4 smaller pools.' +
        'Created split-ippool-name1-0 with CIDR 10.0.1.0/26.\n' +
        'Created split-ippool-name1-1 with CIDR 10.0.1.64/26.\n' +
        'Created split-ippool-name1-2 with CIDR 10.0.1.128/26.\n' +
        'Created split-ippool-name1-3 with CIDR 10.0.1.192/26.\n' +
        'Please refer to the documentation for final steps.',
    );
    expect(r.code).toBe(0);
    const pools = await be.dump(POOL_PREFIX);
    expect(Object.keys(pools)).toEqual([0, 1, 2, 3].map((i) => `${POOL_PREFIX}split-ippool-name1-${i}`));
    ['10.0.1.0/26', '10.0.1.64/26', '10.0.1.128/26', '10.0.1.192/26'].forEach((cidr, i) => {
      const v = pools[`${POOL_PREFIX}split-ippool-name1-${i}`]!;
      expect(v).toMatch(
        new RegExp(
          `^\\{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":\\{"name":"split-ippool-name1-${i}",` +
            '"uid":"[0-9a-f-]{36}","creationTimestamp":"[0-9T:-]+Z","labels":\\{"team":"net"\\},"annotations":\\{"note":"keep"\\}\\},' +
            `"spec":\\{"cidr":"${cidr}","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":27,` +
            '"nodeSelector":"foo == \'bar\'","allowedUses":\\["Workload","Tunnel"\\],"assignmentMode":"Automatic"\\}\\}$',
        ),
      );
    });
    const json = await cli('ipam', 'split', '--name=split-ippool-name1-0', '2', '-o', 'json');
    expect(JSON.parse(json.stdout)).toEqual({
      pool: 'split-ippool-name1-0',
      cidr: '10.0.1.0/26',
      number: 2,
      created: [
        { name: 'split-split-ippool-name1-0-0', cidr: '10.0.1.0/27' },
        { name: 'split-split-ippool-name1-0-1', cidr: '10.0.1.32/27' },
      ],
    });
  });
});
