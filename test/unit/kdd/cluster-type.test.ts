/** EnsureInitialized's clusterType: `kdd` appended once on the Kubernetes datastore, nothing elsewhere. */
import { describe, expect, it } from 'vitest';

import { initialisedClusterType } from '../../../src/datastore/cluster-type.js';
import type { DatastoreInfo } from '../../../src/datastore/contract.js';

const kdd: DatastoreInfo = { type: 'kubernetes', server: 'https://10.0.0.1:6443', source: 'environment' };
const etcd: DatastoreInfo = { type: 'etcdv3', endpoints: ['http://127.0.0.1:2379'], source: 'environment' };

describe('initialisedClusterType', () => {
  it('appends kdd last on Kubernetes, once, after trimming a trailing comma', () => {
    expect(initialisedClusterType(kdd, '')).toBe('kdd');
    expect(initialisedClusterType(kdd, undefined)).toBe('kdd');
    expect(initialisedClusterType(kdd, 'typha,k8s,bgp,')).toBe('typha,k8s,bgp,kdd');
    expect(initialisedClusterType(kdd, 'typha,kdd,k8s,bgp')).toBeUndefined();
  });

  it('leaves it alone on etcd', () => {
    expect(initialisedClusterType(etcd, 'k8s,bgp')).toBeUndefined();
  });
});
