import { afterEach, describe, expect, it } from 'vitest';

import { splitCIDR, splitPool } from '../../../src/ipam/split.js';
import { datastoreWith } from './memory-datastore.js';

describe('splitCIDR', () => {
  it('splits into equal networks in address order, IPv6 included', () => {
    expect(splitCIDR('10.0.1.0/24', 4)).toEqual([
      '10.0.1.0/26',
      '10.0.1.64/26',
      '10.0.1.128/26',
      '10.0.1.192/26',
    ]);
    expect(splitCIDR('fd00::/48', 2)).toEqual(['fd00::/49', 'fd00:0:0:8000::/49']);
    expect(() => splitCIDR('10.0.1.0/24', 1)).toThrow(
      'number to split CIDR into is not a valid power of 2: 1',
    );
    expect(() => splitCIDR('10.0.1.0/24', 0)).toThrow('not a valid power of 2: 0');
    expect(() => splitCIDR('10.0.1.0/24', -2)).toThrow('not a valid power of 2: -2');
    expect(() => splitCIDR('10.0.1.0/30', 8)).toThrow(
      'the CIDR 10.0.1.0/30 is not large enough to be split into 8 parts',
    );
  });
});

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

describe('splitPool beyond one transaction', () => {
  it("writes step by step, as calicoctl does, when more pools are made than etcd's --max-txn-ops", async () => {
    const s = await datastoreWith({
      '/calico/resources/v3/projectcalico.org/clusterinformations/default':
        '{"kind":"ClusterInformation","apiVersion":"projectcalico.org/v3","metadata":{"name":"default"},"spec":{"datastoreReady":false}}',
      '/calico/resources/v3/projectcalico.org/ippools/big':
        '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"big","uid":"u","creationTimestamp":"2026-06-01T10:00:00Z"},"spec":{"cidr":"10.0.0.0/16","blockSize":26}}',
    });
    cleanup = s.cleanup;
    const r = await splitPool(s.ds, { number: '256', cidr: '10.0.0.0/16' });
    expect(r.created).toHaveLength(256);
    expect(r.created[255]).toEqual({ name: 'split-big-255', cidr: '10.0.255.0/24' });
    const keys: string[] = [];
    for await (const kv of await s.ds.list('/calico/resources/v3/projectcalico.org/ippools/'))
      keys.push(kv.key);
    expect(keys).toHaveLength(256);
    expect(keys).not.toContain('/calico/resources/v3/projectcalico.org/ippools/big');
  });
});
