/**
 * The report's hand-written allocation encoder against the schema-driven encoder it stands in for:
 * encodeReport must write exactly what encodeGoJson writes for the report with its Go shape
 * (json.MarshalIndent), for every combination of omitted fields, awkward text and owners.
 */
import { describe, expect, it } from 'vitest';

import { encodeGoJson } from '../../../src/codec/go-json.js';
import { encodeReport, reportSchema, type Report, type ReportAllocation } from '../../../src/ipam/report.js';
import { mulberry32, randInt } from '../../reliability/prng.js';

const TEXTS = [
  '',
  'k8s-pod-network.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'nœud-日本',
  'a"b\\c',
  '<&>',
  'del\x7f',
  'tab\there',
  'line\u2028sep',
  'emoji 😀',
  'lone \ud800 surrogate',
  '2026-06-01 10:00:00.123456789 +0000 UTC',
];

function allocation(next: () => number, ip: string): ReportAllocation {
  const pick = (): string => TEXTS[randInt(next, TEXTS.length)]!;
  const maybe = <T>(v: () => T): T | undefined => (randInt(next, 3) === 0 ? undefined : v());
  const a: ReportAllocation = {
    ip,
    inUse: randInt(next, 2) === 0,
    owners: [null, [], ['Workload(ns/a)'], ['Node(n1)', pick()]][randInt(next, 4)]!,
  };
  const handle = maybe(pick);
  if (handle !== undefined) a.handle = handle;
  const seq = maybe(
    () => [0, 1, 2 ** 53 - 1, 1780308000000000001n, 18446744073709551615n][randInt(next, 5)]!,
  );
  if (seq !== undefined) a.sequenceNumber = seq;
  for (const k of ['pod', 'namespace', 'node', 'type', 'creationTimestamp'] as const) {
    const v = maybe(pick);
    if (v !== undefined) a[k] = v;
  }
  const borrowed = maybe(() => randInt(next, 2) === 0);
  if (borrowed !== undefined) a.borrowed = borrowed;
  return a;
}

describe('encodeReport', () => {
  it('writes exactly what the schema encoder writes for the same report', () => {
    const next = mulberry32(314159);
    const allocations = new Map<string, ReportAllocation[]>();
    const ips = ['10.0.0.1', '10.0.0.10', '10.0.0.100', '10.0.0.2', 'fd00::1', '192.168.0.1', 'fd00::a'];
    for (let n = 0; n < 400; n++) {
      const ip = `${ips[randInt(next, ips.length)]}${n}`;
      allocations.set(
        ip,
        Array.from({ length: randInt(next, 3) + (n % 50 === 0 ? 0 : 1) }, () => allocation(next, ip)),
      );
    }
    const report: Report = {
      version: 'v3.32.1-calicoctl-ts.test',
      clusterGUID: 'guid',
      datastoreLocked: false,
      clusterInformationRevision: '12',
      clusterType: 'k8s,bgp',
      leakedHandles: [{ ID: 'h<1>', UID: null, Revision: '7' }],
      allocations,
    };
    expect(encodeReport(report)).toBe(encodeGoJson(report, reportSchema, { indent: '  ' }));
    const empty = { ...report, allocations: new Map(), leakedHandles: [] };
    expect(encodeReport(empty)).toBe(encodeGoJson(empty, reportSchema, { indent: '  ' }));
  });
});
