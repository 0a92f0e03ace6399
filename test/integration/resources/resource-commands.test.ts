/**
 * The resource commands end to end: the built CLI against the embedded store and a real etcd,
 * checking calicoctl's exact output and the stored bytes (calico.md §8 rows 1-36).
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';
import { cliSession, useEtcd } from './session.js';

const POOL1 = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ippool-name1
spec:
  cidr: 10.0.1.0/24
  ipipMode: Always
  blockSize: 27
  nodeSelector: foo == 'bar'
`;
const POOL2 = `apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: ippool-name2
spec:
  cidr: fed0:8001::/64
  blockSize: 123
  ipipMode: Never
  vxlanMode: Never
`;
const PEER = (rv = '') => `apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: peer1
${rv ? `  resourceVersion: "${rv}"\n` : ''}spec:
  peerIP: 192.168.0.1
  asNumber: 64514
`;

interface Backend {
  name: string;
  env: () => Record<string, string>;
  raw: (key: string) => Promise<string>;
}

const etcd = useEtcd();
const embeddedDir = tempDir();
const backends: Backend[] = [
  {
    name: 'embedded',
    env: () => ({ DATASTORE_TYPE: 'embedded', EMBEDDED_DATASTORE_PATH: join(embeddedDir, 'datastore.db') }),
    raw: async (key) =>
      (await runCli(['get', 'ippool', key.split('/').pop()!, '-o', 'json'], { env: backends[0]!.env() }))
        .stdout,
  },
  {
    name: 'etcd',
    env: () => etcd().env,
    raw: async (key) => (await etcd().etcdctl(['get', key, '--print-value-only'])).trim(),
  },
];

describe.each(backends)('resource commands against $name', (backend) => {
  const { file, cli } = cliSession(backend.env);

  it('creates pools with persisted defaults and prints calicoctl tables (rows 1, 3, 4, 22)', async () => {
    const r = await cli(['create', '-f', file('pools.yaml', `${POOL1}---\n${POOL2}`)]);
    expect(r.stdout).toBe("Successfully created 2 'IPPool' resource(s)\n");
    expect(r.code).toBe(0);
    const ps = await cli(['get', 'ippool', 'ippool-name1']);
    expect(ps.stdout).toBe(
      "NAME           CIDR          SELECTOR       \nippool-name1   10.0.1.0/24   foo == 'bar'   \n\n",
    );
    const wide = await cli(['get', 'ipp', 'ippool-name1', '-o', 'wide']);
    expect(wide.stdout).toBe(
      'NAME           CIDR          NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR       ASSIGNMENTMODE   \n' +
        "ippool-name1   10.0.1.0/24   false   Always     Never       false      false              foo == 'bar'   Automatic        \n\n",
    );
    const yaml = await cli(['get', 'pool', 'ippool-name2', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(
      /^apiVersion: projectcalico.org\/v3\nkind: IPPool\nmetadata:\n {2}creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\n {2}name: ippool-name2\n {2}resourceVersion: "\d+"\n {2}uid: [0-9a-f-]{36}\nspec:\n {2}allowedUses:\n {2}- Workload\n {2}- Tunnel\n {2}assignmentMode: Automatic\n {2}blockSize: 123\n {2}cidr: fed0:8001::\/64\n {2}ipipMode: Never\n {2}nodeSelector: all\(\)\n {2}vxlanMode: Never\n$/,
    );
    const info = await cli(['get', 'clusterinfo', 'default', '-o', 'json']);
    expect(JSON.parse(info.stdout).spec).toEqual({
      clusterGUID: expect.stringMatching(/^[a-f0-9]{32}$/),
      datastoreReady: true,
    });
    if (backend.name === 'etcd') {
      const raw = await backend.raw('/calico/resources/v3/projectcalico.org/ippools/ippool-name1');
      expect(raw).toMatch(
        /^\{"kind":"IPPool","apiVersion":"projectcalico.org\/v3","metadata":\{"name":"ippool-name1","uid":"[0-9a-f-]{36}","creationTimestamp":"[0-9TZ:-]+"\},"spec":\{"cidr":"10.0.1.0\/24","vxlanMode":"Never","ipipMode":"Always","blockSize":27,"nodeSelector":"foo == 'bar'","allowedUses":\["Workload","Tunnel"\],"assignmentMode":"Automatic"\}\}$/,
      );
    }
  });

  it('reports missing names and unknown kinds (rows 6, 8, 19)', async () => {
    const r = await cli(['get', 'ippool', 'ippool-name1', 'blah', 'ippool-name2', '--export']);
    expect(r.stdout.split('\n\n').length).toBe(3);
    expect(r.stderr).toBe('resource does not exist: IPPool(blah) with error: <nil>\n');
    expect(r.code).toBe(1);
    const k = await cli(['get', 'somekind', 'somename']);
    expect(k.stderr).toContain("failed to get resources: resource type 'somekind' is not supported");
    const ns = await cli(['get', 'ippool', '-A']);
    expect(ns.stderr.split('\n')[0]).toBe('IPPool is not namespaced');
    expect(ns.code).not.toBe(0);
  });

  it('rejects invalid pools and documents, writing nothing (rows 29-34)', async () => {
    const bad = await cli(
      ['create', '-f', '-'],
      POOL1.replace('ippool-name1', 'px').replace('10.0.1.0/24', '10.0.256.0/24'),
    );
    expect(bad.stderr).toContain("IPPool.Spec.CIDR = '10.0.256.0/24' (IPPool CIDR must be a valid subnet)");
    expect(bad.code).toBe(2);
    const unk = await cli([
      'apply',
      '-f',
      file('unk.yaml', PEER().replace('spec:', 'spec:\n  unknown: thing')),
    ]);
    expect(unk.stderr.split('\n')[0]).toBe(
      'field in document is not recognized or is in the wrong location: unknown',
    );
    const ver = await cli(['apply', '-f', file('ver.yaml', PEER().replace('projectcalico.org/v3', 'v7'))]);
    expect(ver.stderr).toContain('unknown resource type (BGPPeer) and/or version (v7)');
    const peers = await cli(['get', 'bgppeer', '--output=yaml']);
    expect(peers.stdout).toMatch(
      /^apiVersion: projectcalico.org\/v3\nitems: \[\]\nkind: BGPPeerList\nmetadata:\n {2}resourceVersion: /,
    );
  });

  it('compare-and-swaps on resourceVersion (rows 10-12)', async () => {
    expect((await cli(['create', '-f', file('p.yaml', PEER())])).code).toBe(0);
    const rv1 = JSON.parse((await cli(['get', 'bgppeer', 'peer1', '-o', 'json'])).stdout).metadata
      .resourceVersion as string;
    expect((await cli(['apply', '-f', file('p2.yaml', PEER().replace('64514', '64515'))])).stdout).toBe(
      "Successfully applied 1 'BGPPeer' resource(s)\n",
    );
    const stale = await cli(['replace', '-f', file('stale.yaml', PEER(rv1))]);
    expect(stale.stderr).toBe('hit error: update conflict: BGPPeer(peer1)\n');
    const del = await cli(['delete', '-f', file('stale.yaml', PEER(rv1))]);
    expect(del.stderr).toContain('update conflict');
    expect((await cli(['delete', 'bgppeer', 'peer1'])).stdout).toBe(
      "Successfully deleted 1 'BGPPeer' resource(s)\n",
    );
  });

  it('validates offline and refuses read-only kinds (rows 22, 36)', async () => {
    const v = await runCli(['validate', '-f', file('v.yaml', PEER())]);
    expect(v.stdout).toBe("Successfully validated 1 'BGPPeer' resource(s)\n");
    const empty = await runCli(['validate', '-f', file('empty.yaml', ''), '--skip-empty']);
    expect(empty.stdout).toBe('No resources specified\n');
    const ci = await cli(['delete', 'clusterinfo', 'default']);
    expect(ci.stderr).toContain('operation delete is not supported on ClusterInformation');
  });

  it('deletes pools and round-trips an export (rows 5, 16)', async () => {
    const exported = await cli(['get', 'ippool', '--export', '-o', 'yaml']);
    expect(exported.stdout).not.toContain('uid:');
    const applied = await cli(['apply', '-f', '-'], exported.stdout);
    expect(applied.stdout).toBe("Successfully applied 2 'IPPool' resource(s)\n");
    expect((await cli(['delete', 'ippool', 'ippool-name1'])).code).toBe(0);
    const again = await cli(['delete', 'ippool', 'ippool-name1']);
    expect(again.stderr).toContain('resource does not exist');
  });
});
