/**
 * What `node check --watch` prints between two checks, from findings as the VXLAN lab reported them
 * (test/integration/dataplane/watch.test.ts).
 */
import { describe, expect, test } from 'vitest';

import { findingChanges, type Finding } from '../../../src/dataplane/findings.js';
import { renderFindingChange } from '../../../src/cli/render/dataplane.js';

const routeMissing: Finding = {
  code: 'route-missing',
  severity: 'error',
  area: 'routes',
  subject: '10.65.0.192/26',
  expected: '10.65.0.192/26 via 10.65.0.193 dev vxlan.calico proto boot onlink mtu 1450',
  actual: null,
  hint: 'ip route replace 10.65.0.192/26 via 10.65.0.193 dev vxlan.calico proto boot onlink mtu 1450',
};
const neighborMissing: Finding = {
  code: 'neighbor-missing',
  severity: 'error',
  area: 'neighbors',
  subject: '10.65.0.193',
  expected: '10.65.0.193 dev vxlan.calico lladdr 66:f3:34:2a:76:bd PERMANENT',
  actual: null,
  hint: 'ip neigh replace 10.65.0.193 lladdr 66:f3:34:2a:76:bd dev vxlan.calico nud permanent',
};

describe('findingChanges', () => {
  test('appeared, then resolved; unchanged findings print nothing', () => {
    expect(findingChanges([], [])).toEqual([]);
    expect(findingChanges([routeMissing], [routeMissing])).toEqual([]);
    const changes = findingChanges([neighborMissing], [routeMissing]);
    expect(changes).toEqual([
      { change: 'appeared', finding: routeMissing },
      { change: 'resolved', finding: neighborMissing },
    ]);
    expect(changes.map(renderFindingChange).join('')).toBe(
      '+ error route-missing 10.65.0.192/26 expected 10.65.0.192/26 via 10.65.0.193 dev vxlan.calico proto boot ' +
        'onlink mtu 1450 actual -; ip route replace 10.65.0.192/26 via 10.65.0.193 dev vxlan.calico proto boot onlink mtu 1450\n' +
        '- resolved neighbor-missing 10.65.0.193\n',
    );
  });

  test('a finding whose actual state changed is resolved and appears again', () => {
    const mismatch = { ...routeMissing, code: 'route-mismatch' as const, actual: '10.65.0.192/26 dev eth0' };
    const moved = { ...mismatch, actual: '10.65.0.192/26 dev eth1' };
    expect(findingChanges([mismatch], [moved])).toEqual([
      { change: 'appeared', finding: moved },
      { change: 'resolved', finding: mismatch },
    ]);
  });
});
