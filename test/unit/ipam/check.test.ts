/**
 * `ipam check` on a real embedded datastore holding one of each problem (check-fixtures.ts): the
 * printed lines are calicoctl v3.32.1's, then our checks after its final line, and the report is
 * calicoctl's JSON shape with exact sequence numbers.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Datastore } from '../../../src/datastore/contract.js';
import { validateBlock } from '../../../src/ipam/block-validate.js';
import { decodeBlock } from '../../../src/ipam/block.js';
import { checkIPAM, type CheckOptions } from '../../../src/ipam/check.js';
import {
  encodeReport,
  mergeReports,
  readReportFile,
  writeReportFile,
  type Report,
} from '../../../src/ipam/report.js';
import { BLOCK_PREFIX, generateDataset } from '../../../bench/dataset.js';
import { CHECK_KEYS } from './check-fixtures.js';
import { tempDir } from '../../helpers/temp.js';
import { datastoreWith } from './memory-datastore.js';

const CALICOCTL_LINES = [
  'Checking IPAM for inconsistencies...',
  '',
  'Loading all IPAM blocks...',
  'Found 3 IPAM blocks.',
  ' IPAM block 10.0.1.0/29 affinity=host:node1:',
  ' IPAM block 10.0.1.8/29 affinity=<none>:',
  ' IPAM block 10.0.2.0/29 affinity=host:gone:',
  'IPAM blocks record 6 allocations.',
  '',
  'Loading all IPAM pools...',
  '  10.0.1.0/24',
  'Found 1 active IP pools.',
  '',
  'Loading all nodes.',
  'Found 1 node tunnel IPs.',
  '',
  'Loading all service load balancer IPs.',
  'No configuration for LoadBalancer kubecontroller found, skipping service check',
  '',
  'Loading all workload endpoints.',
  'Found 4 workload IPs.',
  'Workloads and nodes are using 5 IPs.',
  '',
  'Loading all handles',
  'Looking for top (up to 20) nodes by allocations...',
  '  node1 has 4 allocations',
  '  node2 has 1 allocations',
  '  gone has 1 allocations',
  'Node with most allocations has 4; median is 1',
  '',
  'Scanning for IPs that are allocated but not actually in use...',
  '  10.0.1.3 leaked; attrs Main:k8s-pod-network.bbbb Extra:namespace=ns,node=node1,pod=b,timestamp=2026-06-01 10:00:00.123456789 +0000 UTC',
  '  10.0.1.5 leaked; attrs Main:k8s-pod-network.cccc Extra:namespace=ns,node=node2,pod=c,timestamp=2026-06-01 10:00:00.123456789 +0000 UTC',
  '  10.0.1.8 leaked; attrs Main:k8s-pod-network.ffff Extra:namespace=ns,node=node1,pod=f,timestamp=2026-06-01 10:00:00.123456789 +0000 UTC',
  'Found 3 IPs that are allocated in IPAM but not actually in use.',
  'Scanning for IPs that are in use by a workload or node but not allocated in IPAM...',
  '  10.0.1.100 in use by Workload(ns/node1-k8s-x-eth0) and in active IPAM pool but has no IPAM allocation.',
  '  192.168.50.5 in use by Workload(ns/node1-k8s-x-eth0) is not in any active IP pool.',
  'Found 1 in-use IPs that are not in active IP pools.',
  'Found 1 in-use IPs that are in active IP pools but have no corresponding IPAM allocation.',
  '',
  'Scanning for IPAM handles with no matching IPs...',
  'Found 1 handles with no matching IPs (and 5 handles with matches).',
  'Scanning for IPs with missing handle...',
  "  k8s-pod-network.cccc is in use in a block but doesn't exist.",
  'Found 1 handles mentioned in blocks with no matching handle resource.',
  'Check complete; found 7 problems.',
];

const EXTRA_LINES = [
  'Scanning for values that cannot be decoded...',
  '  /calico/ipam/v2/assignment/ipv4/block/10.0.1.16-29 cannot be decoded: invalid JSON: unexpected end of input at position 38',
  'Found 1 values that cannot be decoded (skipped above, and never released).',
  'Validating IPAMBlock structures...',
  '  IPAMBlock BlockKey(cidr=10.0.1.8/29) is invalid: ordinal 0 is allocated but appears in Unallocated',
  'Found 1 invalid IPAMBlocks.',
  'Scanning for IPAM blocks and affinities of nodes that no longer exist...',
  '  IPAM block 10.0.2.0/29 is affine to node gone, which does not exist.',
  '  Affinity /calico/ipam/v2/host/gone/ipv4/block/10.0.2.0-29 belongs to node gone, which does not exist.',
  'Found 1 IPAM blocks and 1 block affinities of nodes that no longer exist.',
  'Scanning for allocations outside active IP pools...',
  '  10.0.2.1 is allocated but not in any active IP pool.',
  'Found 1 allocations outside active IP pools.',
  'Additional checks complete; found 5 problems.',
];

const EXPECTED_LINES = [...CALICOCTL_LINES, ...EXTRA_LINES];

/** checkIPAM with the text it printed, section by section. */
async function check(ds: Datastore, opts: Partial<CheckOptions> = {}) {
  const sections: string[] = [];
  const result = await checkIPAM(ds, {
    showAllIPs: false,
    showProblemIPs: false,
    version: 'v',
    keepReport: true,
    collect: true,
    print: (text) => sections.push(text),
    ...opts,
  });
  return { ...result, sections, text: sections.join('') };
}

describe('checkIPAM', () => {
  let ds: Datastore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ ds, cleanup } = await datastoreWith(CHECK_KEYS));
  });
  afterAll(async () => cleanup());

  it("prints calicoctl's lines, then ours after its final line, and finds every problem", async () => {
    const r = await check(ds, { showProblemIPs: true, version: 'v3.32.1-test' });
    expect(r.text).toBe(EXPECTED_LINES.map((l) => l + '\n').join(''));
    expect(r.sections.length).toBeGreaterThan(8);
    expect(r.summary.problemCount).toBe(7);
    expect(r.summary.extraProblemCount).toBe(5);
    expect(r.summary.extraProblems.unreadableValues).toEqual([
      {
        key: '/calico/ipam/v2/assignment/ipv4/block/10.0.1.16-29',
        reason: 'invalid JSON: unexpected end of input at position 38',
      },
    ]);
    expect(r.summary.extraProblems['invalidBlocks']).toEqual([
      {
        key: '/calico/ipam/v2/assignment/ipv4/block/10.0.1.8-29',
        reason: 'ordinal 0 is allocated but appears in Unallocated',
      },
    ]);
  });

  it('without --show-problem-ips prints only the counts', async () => {
    const r = await check(ds);
    expect(r.text).toBe(
      EXPECTED_LINES.filter(
        (l) => !/^ {2}\S+ (leaked|in use|is in use|is allocated)|^ {2}(IPAM block|Affinity) /.test(l),
      )
        .map((l) => l + '\n')
        .join(''),
    );
  });

  it("with --show-all-ips lists every allocation and owner in calicoctl's words", async () => {
    const r = await check(ds, { showAllIPs: true });
    const lines = r.text.split('\n');
    expect(lines).toContain(
      '  10.0.1.0 allocated; attrs Main:ipip-tunnel-addr-node1 Extra:node=node1,type=ipipTunnelAddress',
    );
    expect(lines).toContain('  10.0.1.0 belongs to Node(node1)');
    expect(lines).toContain('  192.168.50.5 belongs to Workload(ns/node1-k8s-x-eth0)');
    expect(lines).toContain("  k8s-pod-network.eeee doesn't have any active IPs.");
  });

  it("writes calicoctl's report shape with exact sequence numbers, mode 0600", async () => {
    const r = await check(ds, { version: 'v3.32.1-test' });
    const dir = tempDir('g2-report-');
    const file = join(dir, 'report.json');
    writeReportFile(file, r.report!.head, r.report!.write);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(
      text.startsWith(
        '{\n  "version": "v3.32.1-test",\n  "clusterGUID": "0123456789abcdef0123456789abcdef",\n' +
          '  "datastoreLocked": true,\n  "clusterInformationRevision": "1",\n  "clusterType": "k8s,bgp",\n' +
          '  "allocations": {\n    "10.0.1.0": [\n      {\n        "ip": "10.0.1.0",\n' +
          '        "handle": "ipip-tunnel-addr-node1",\n        "sequenceNumber": 1780308000000000001,\n',
      ),
    ).toBe(true);
    expect(text).toContain('        "inUse": false,\n        "borrowed": true,\n        "owners": null\n');
    expect(
      text.endsWith(
        '  "leakedHandles": [\n    {\n      "ID": "k8s-pod-network.eeee",\n' +
          '      "UID": null,\n      "Revision": "15"\n    }\n  ]\n}',
      ),
    ).toBe(true);
    const back = readReportFile(file);
    expect(back.allocations.get('10.0.1.3')?.[0]?.sequenceNumber).toBe(1780308000000000003n);
    // The streamed writer and the one-piece encoder write the same bytes.
    expect(encodeReport({ ...r.report!.head, allocations: new Map(r.report!.allocations()) })).toBe(text);
  });
});

describe('overlapping blocks', () => {
  // A /28 over BLOCK_A and BLOCK_INVALID (both /29): 10.0.1.3 and 10.0.1.8 are allocated twice,
  // 10.0.1.12 once; an IPv6 block is read after every IPv4 one.
  const overlapping: Record<string, string> = {
    ...CHECK_KEYS,
    '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-28':
      '{"cidr":"10.0.1.0/28","affinity":null,"allocations":[null,null,null,0,null,null,null,null,0,null,null,null,0,null,null,null],' +
      '"unallocated":[0,1,2,4,5,6,7,9,10,11,13,14,15],"attributes":[{"handle_id":null,"secondary":null}],' +
      '"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}',
    '/calico/ipam/v2/assignment/ipv6/block/fd00::-126':
      '{"cidr":"fd00::/126","affinity":null,"allocations":[0,null,0,null],"unallocated":[1,3],' +
      '"attributes":[{"handle_id":null,"secondary":null}],"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}',
  };

  it('count and list each address once, in first-appearance order, with or without the rows', async () => {
    const { ds: store, cleanup } = await datastoreWith(overlapping);
    try {
      const plain = await check(store, { keepReport: false });
      const rows = await check(store, { keepReport: true, showProblemIPs: true });
      const leaked = plain.summary.problems.leakedIPs;
      // The /28's key comes before the /29's.
      expect(leaked).toEqual(['10.0.1.3', '10.0.1.8', '10.0.1.12', '10.0.1.5', 'fd00::', 'fd00::2']);
      expect(rows.summary.problems).toEqual(plain.summary.problems);
      expect(rows.summary.problemCount).toBe(plain.summary.problemCount);
      expect(plain.text).toContain('Found 6 IPs that are allocated in IPAM but not actually in use.');
      // Each of an address's allocations, in the order the blocks record them.
      expect(rows.text).toContain(
        '  10.0.1.3 leaked; attrs Main:<none> Extra:\n  10.0.1.3 leaked; attrs Main:k8s-pod-network.bbbb Extra:',
      );
      const report = new Map(rows.report!.allocations());
      expect(report.get('10.0.1.3')?.map((a) => a.handle)).toEqual([undefined, 'k8s-pod-network.bbbb']);
    } finally {
      await cleanup();
    }
  });
});

describe("the report's writer", () => {
  // The benchmark's dataset (leaks: handles without allocations, allocations without handles),
  // one pod name made non-ASCII (bytes the writer must hand to quoteGoString), and the fixtures.
  const dataset = Object.fromEntries(generateDataset({ blocks: 300, leaks: true }));
  const [nonAscii] = Object.entries(dataset).filter(
    ([k, v]) => k.startsWith(BLOCK_PREFIX) && v.includes('"pod":"'),
  );
  dataset[nonAscii![0]] = nonAscii![1].replace('"pod":"', '"pod":"pöd-日本-');
  // Sequence numbers whose high nine-digit part passes 31 bits (written by float division).
  const [later] = Object.entries(dataset).filter(
    ([k, v]) => k.startsWith(BLOCK_PREFIX) && /"sequenceNumberForAllocation":\{"\d+":\d+,"\d+":\d+/.test(v),
  );
  dataset[later![0]] = later![1].replace(
    /("sequenceNumberForAllocation":\{"\d+":)\d+(,"\d+":)\d+/,
    '$118446744073709551615$22200000000000000007',
  );

  it.each([
    ['the benchmark dataset', dataset, '"pod": "pöd-日本-'],
    ['the benchmark dataset, late sequence numbers', dataset, '"sequenceNumber": 18446744073709551615'],
    ['the fixtures', CHECK_KEYS, '"sequenceNumber": 1780308000000000001'],
  ])('writes, from the bytes it kept, what the allocations list says (%s)', async (_, keys, sample) => {
    // Seeded in one transaction: a create each would take seconds.
    const { ds: store, cleanup } = await datastoreWith({});
    try {
      const puts = Object.entries(keys).map(([key, value]) => ({ type: 'put' as const, key, value }));
      await store.txn({ compare: [], success: puts });
      const r = await check(store);
      const file = join(tempDir('report-writer-'), 'report.json');
      writeReportFile(file, r.report!.head, r.report!.write);
      const text = readFileSync(file, 'utf8');
      expect(text).toBe(encodeReport({ ...r.report!.head, allocations: new Map(r.report!.allocations()) }));
      expect(text).toContain(sample);
    } finally {
      await cleanup();
    }
  });
});

describe('mergeReports', () => {
  const report = (ips: [string, boolean, bigint][], handles: [string, string][]): Report => ({
    version: 'v',
    clusterGUID: 'g',
    datastoreLocked: true,
    clusterInformationRevision: '1',
    clusterType: '',
    allocations: new Map(
      ips.map(([ip, inUse, seq]) => [
        ip,
        [{ ip, handle: 'h-' + ip, sequenceNumber: seq, inUse, owners: null }],
      ]),
    ),
    leakedHandles: handles.map(([ID, Revision]) => ({ ID, UID: null, Revision })),
  });

  it('keeps only addresses unused in every report and handles with the same revision in every report', () => {
    const a = report(
      [
        ['10.0.0.1', false, 1n],
        ['10.0.0.2', false, 2n],
        ['10.0.0.3', true, 3n],
      ],
      [
        ['h1', '5'],
        ['h2', '6'],
      ],
    );
    const b = report(
      [
        ['10.0.0.1', false, 9n],
        ['10.0.0.2', true, 2n],
        ['10.0.0.4', false, 4n],
      ],
      [
        ['h1', '5'],
        ['h2', '7'],
      ],
    );
    expect(mergeReports([a, b])).toEqual({
      ips: [{ ip: '10.0.0.1', handle: 'h-10.0.0.1', sequenceNumber: 9n }],
      handles: [{ ID: 'h1', UID: null, Revision: '5' }],
    });
  });
});

describe('validateBlock', () => {
  const check = (value: string) =>
    validateBlock(decodeBlock({ key: 'k', value, createRevision: 1, modRevision: 1, version: 1 }));
  const block = (allocations: string, unallocated: string, attributes: string) =>
    `{"cidr":"10.0.0.0/30","affinity":null,"allocations":${allocations},"unallocated":${unallocated},"attributes":${attributes},"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false}`;

  it.each([
    [block('[0,null,null,null]', '[1,2,3]', '[{}]'), undefined],
    [block('[1,null,null,null]', '[1,2,3]', '[{}]'), 'allocation 0 indexes a nonexistent attribute 1'],
    [
      block('[null,null,null,null]', '[0,1,2,3]', '[{}]'),
      'attribute index 0 exists but is not indexed by an allocation',
    ],
    [
      block('[null,null,null,null]', '[0,1,2,4]', 'null'),
      'ordinal 4 appears in the Unallocated array but is out of the block',
    ],
    [
      block('[null,null,null,null]', '[0,1,1,2]', 'null'),
      'ordinal 1 appears more than once in Unallocated array',
    ],
    [
      block('[null,null,null,null]', '[0,1,2]', 'null'),
      'expected 4 addresses in this block, but Unallocated (3) + Allocated (0) = 3',
    ],
    [block('[null,null]', '[0,1]', 'null'), 'allocations has 2 entries but the block has 4 addresses'],
  ])('%s', (value, expected) => {
    expect(check(value)).toBe(expected);
  });
});

describe('checkIPAM LoadBalancer addresses', () => {
  it('counts LoadBalancer allocations as in use when the LoadBalancer controller is configured', async () => {
    const lb =
      '{"cidr":"10.0.3.0/30","affinity":"virtual:load-balancer","allocations":[0,null,null,null],' +
      '"unallocated":[1,2,3],"attributes":[{"handle_id":"lb-ns-web","secondary":{"namespace":"ns",' +
      '"service":"web","type":"LoadBalancer"}}],"sequenceNumber":2,"sequenceNumberForAllocation":{"0":1},"deleted":false}';
    const base = {
      '/calico/resources/v3/projectcalico.org/clusterinformations/default':
        CHECK_KEYS['/calico/resources/v3/projectcalico.org/clusterinformations/default']!,
      '/calico/ipam/v2/assignment/ipv4/block/10.0.3.0-30': lb,
      '/calico/ipam/v2/handle/lb-ns-web': '{"block":{"10.0.3.0/30":1},"deleted":false}',
    };
    const kcc =
      '{"kind":"KubeControllersConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},' +
      '"spec":{"controllers":{"loadBalancer":{"assignIPs":"AllServices"}}}}';
    const without = await datastoreWith(base);
    const a = await check(without.ds);
    await without.cleanup();
    expect(a.text).toContain(
      'No configuration for LoadBalancer kubecontroller found, skipping service check\n',
    );
    expect(a.summary.problems.leakedIPs).toEqual(['10.0.3.0']);

    const withLB = await datastoreWith({
      ...base,
      '/calico/resources/v3/projectcalico.org/kubecontrollersconfigurations/default': kcc,
    });
    const b = await check(withLB.ds, { showAllIPs: true });
    await withLB.cleanup();
    expect(b.text).toContain('  10.0.3.0 belongs to web\nFound 1 service load balancer(s).\n');
    expect(b.summary.problems.leakedIPs).toEqual([]);
    expect(new Map(b.report!.allocations()).get('10.0.3.0')?.[0]).toMatchObject({
      inUse: true,
      owners: ['web'],
    });
  });
});
