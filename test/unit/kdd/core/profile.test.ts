/**
 * Calico Profiles from Namespaces and ServiceAccounts (kdd.md §5.3, libcalico-go
 * k8s/conversion/conversion.go): the etcd values Calico's etcd backend would hold for `kns.` and
 * `ksa.` profiles of a kind cluster's kube-system namespace and one of its service accounts.
 */
import { describe, expect, it } from 'vitest';

import {
  presentNamespace,
  presentServiceAccount,
  profileMapping,
} from '../../../../src/datastore/kdd/core/profile.js';

const kubeSystem = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'kube-system',
    uid: '6c3b9a0e-1f2d-4e5c-8b7a-9d0e1f2a3b4c',
    resourceVersion: '4',
    creationTimestamp: '2026-06-01T09:59:50Z',
    labels: { 'kubernetes.io/metadata.name': 'kube-system', 'a&b': 'x<y' },
  },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
};

const coredns = {
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: {
    name: 'coredns',
    namespace: 'kube-system',
    uid: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    resourceVersion: '231',
    creationTimestamp: '2026-06-01T10:00:01Z',
    labels: { 'k8s-app': 'kube-dns' },
  },
};

describe('Profile <- Namespace / ServiceAccount', () => {
  it('kns.<ns>: pcns. labels plus the name label, allow-all rules, the converted uid', () => {
    expect(presentNamespace(kubeSystem)).toEqual({
      key: '/calico/resources/v3/projectcalico.org/profiles/kns.kube-system',
      value:
        '{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"kns.kube-system","uid":"36dc5970-f8b4-4e3a-8b5e-b970f854dc32","creationTimestamp":"2026-06-01T09:59:50Z"},' +
        '"spec":{"ingress":[{"action":"Allow"}],"egress":[{"action":"Allow"}],' +
        '"labelsToApply":{"pcns.a\\u0026b":"x\\u003cy","pcns.kubernetes.io/metadata.name":"kube-system","pcns.projectcalico.org/name":"kube-system"}}}',
    });
  });

  it('ksa.<ns>.<sa>: pcsa. labels plus the name label, no rules', () => {
    expect(presentServiceAccount(coredns)).toEqual({
      key: '/calico/resources/v3/projectcalico.org/profiles/ksa.kube-system.coredns',
      value:
        '{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"ksa.kube-system.coredns","uid":"854dc32b-a76f-4ade-8cb9-70f854dc32ba","creationTimestamp":"2026-06-01T10:00:01Z"},' +
        '"spec":{"labelsToApply":{"pcsa.k8s-app":"kube-dns","pcsa.projectcalico.org/name":"coredns"}}}',
    });
  });

  it('locates kns. and ksa. keys (a service account name may hold dots); the default-allow profile is not stored', () => {
    const key = (n: string) => `/calico/resources/v3/projectcalico.org/profiles/${n}`;
    expect(profileMapping.locate(key('kns.kube-system'))).toMatchObject({
      name: 'kube-system',
      collection: { plural: 'namespaces' },
    });
    expect(profileMapping.locate(key('ksa.kube-system.my.sa'))).toMatchObject({
      name: 'my.sa',
      namespace: 'kube-system',
      collection: { plural: 'serviceaccounts' },
    });
    expect(profileMapping.locate(key('projectcalico-default-allow'))).toBeUndefined();
    expect(profileMapping.locate(key('ksa.kube-system'))).toBeUndefined();
    expect(profileMapping.present(kubeSystem, profileMapping.collections[0]!)?.key).toBe(
      key('kns.kube-system'),
    );
    expect(profileMapping.present(coredns, profileMapping.collections[1]!)?.key).toBe(
      key('ksa.kube-system.coredns'),
    );
  });

  it('is read-only', () => {
    expect(profileMapping.unsupported).toEqual({ Create: true, Update: true, Delete: true });
  });
});
