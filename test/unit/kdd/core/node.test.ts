/**
 * Calico Nodes from core Kubernetes Nodes (kdd.md §5.1, libcalico-go k8s/resources/node.go): the etcd
 * value Calico's etcd backend would hold for the Node a kind cluster's worker is read as, and what an
 * update writes back into its annotations.
 */
import { describe, expect, it } from 'vitest';

import {
  mergeNodeIntoKube,
  nodeMapping,
  parseASNumber,
  presentNode,
} from '../../../../src/datastore/kdd/core/node.js';
import type { KubeObject } from '../../../../src/datastore/kdd/mapping.js';

/** A kind worker as kube-apiserver returns it, after calico-node set its annotations. */
const worker = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'kind-worker',
    uid: '5f1c2a64-8f5e-4b7a-9d0c-2e6b1f3a4c5d',
    resourceVersion: '1187',
    creationTimestamp: '2026-06-01T10:00:00Z',
    labels: {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'kind-worker',
      'kubernetes.io/os': 'linux',
    },
    annotations: {
      'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
      'node.alpha.kubernetes.io/ttl': '0',
      'projectcalico.org/IPv4Address': '172.18.0.3/16',
      'projectcalico.org/IPv4IPIPTunnelAddr': '192.168.162.128',
      'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    },
  },
  spec: {
    podCIDR: '10.244.1.0/24',
    podCIDRs: ['10.244.1.0/24'],
    providerID: 'kind://docker/kind/kind-worker',
  },
  status: {
    addresses: [
      { type: 'InternalIP', address: '172.18.0.3' },
      { type: 'Hostname', address: 'kind-worker' },
    ],
  },
});

const KUBE_LABELS =
  '{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"kind-worker","kubernetes.io/os":"linux"}';

describe('Node <- core Node', () => {
  it("presents a kind worker as Calico's etcd backend stores the Node", () => {
    expect(presentNode(worker())).toEqual({
      key: '/calico/resources/v3/projectcalico.org/nodes/kind-worker',
      value:
        '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"kind-worker","uid":"5f1c2a64-8f5e-4b7a-9d0c-2e6b1f3a4c5d","creationTimestamp":"2026-06-01T10:00:00Z",' +
        '"labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"kind-worker","kubernetes.io/os":"linux"},' +
        `"annotations":{"projectcalico.org/kube-labels":${JSON.stringify(KUBE_LABELS)}}},` +
        '"spec":{"bgp":{"ipv4Address":"172.18.0.3/16","ipv4IPIPTunnelAddr":"192.168.162.128"},"orchRefs":[{"nodeName":"kind-worker","orchestrator":"k8s"}],' +
        '"addresses":[{"address":"172.18.0.3/16","type":"CalicoNodeIP"},{"address":"172.18.0.3","type":"InternalIP"}]},' +
        '"status":{"podCIDRs":["10.244.1.0/24"]}}',
    });
  });

  it('reads Calico labels and annotations, VXLAN, WireGuard, ASN and interfaces; drops invalid values', () => {
    const n = worker();
    n.metadata.labels = { 'kubernetes.io/hostname': 'kind-worker', rack: 'k8s-wins' };
    Object.assign(n.metadata.annotations!, {
      'projectcalico.org/labels': '{"rack":"calico","zone":"a"}',
      'projectcalico.org/annotations': '{"note":"a<b"}',
      'projectcalico.org/ASNumber': '1.10',
      'projectcalico.org/IPv6Address': 'fd00:18::3/64',
      'projectcalico.org/RouteReflectorClusterID': '10.0.0.1/8', // host bits set: ignored
      'projectcalico.org/IPv4VXLANTunnelAddr': '192.168.162.129',
      'projectcalico.org/VXLANTunnelMACAddr': '66:3b:1d:9e:2a:01',
      'projectcalico.org/VXLANTunnelMACAddrV6': 'not-a-mac',
      'projectcalico.org/IPv4WireguardInterfaceAddr': '192.168.162.130',
      'projectcalico.org/WireguardPublicKey': 'jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=',
      'projectcalico.org/Interfaces': '[{"name":"eth0","addresses":["172.18.0.3","bad"]},{"name":"lo"}]',
    });
    const v = JSON.parse(presentNode(n).value);
    expect(v.metadata.labels).toEqual({
      'kubernetes.io/hostname': 'kind-worker',
      rack: 'k8s-wins',
      zone: 'a',
    });
    expect(v.metadata.annotations).toEqual({
      note: 'a<b',
      'projectcalico.org/kube-labels': '{"kubernetes.io/hostname":"kind-worker","rack":"k8s-wins"}',
    });
    expect(presentNode(n).value).toContain('"note":"a\\u003cb"');
    expect(v.spec).toEqual({
      bgp: {
        asNumber: 65546,
        ipv4Address: '172.18.0.3/16',
        ipv6Address: 'fd00:18::3/64',
        ipv4IPIPTunnelAddr: '192.168.162.128',
      },
      ipv4VXLANTunnelAddr: '192.168.162.129',
      vxlanTunnelMACAddr: '66:3b:1d:9e:2a:01',
      orchRefs: [{ nodeName: 'kind-worker', orchestrator: 'k8s' }],
      wireguard: { interfaceIPv4Address: '192.168.162.130' },
      addresses: [
        { address: '172.18.0.3/16', type: 'CalicoNodeIP' },
        { address: 'fd00:18::3/64', type: 'CalicoNodeIP' },
        { address: '172.18.0.3', type: 'InternalIP' },
      ],
      interfaces: [{ name: 'eth0', addresses: ['172.18.0.3'] }, { name: 'lo' }],
    });
    expect(v.status).toEqual({
      wireguardPublicKey: 'jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=',
      podCIDRs: ['10.244.1.0/24'],
    });
  });

  it('stashes null kube-labels for a Node without labels, and writes status {} when there is none', () => {
    const n: KubeObject = { metadata: { name: 'bare', uid: 'u', creationTimestamp: '2026-06-01T10:00:00Z' } };
    expect(presentNode(n).value).toBe(
      '{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"bare","uid":"u","creationTimestamp":"2026-06-01T10:00:00Z",' +
        '"annotations":{"projectcalico.org/kube-labels":"null"}},"spec":{"orchRefs":[{"nodeName":"bare","orchestrator":"k8s"}]},"status":{}}',
    );
  });

  it('parses AS numbers as numorstring does', () => {
    expect(parseASNumber('64512')).toBe(64512);
    expect(parseASNumber('4294967295')).toBe(4294967295);
    expect(parseASNumber('4294967296')).toBeUndefined();
    expect(parseASNumber('1.10')).toBe(65546);
    expect(parseASNumber('65536.1')).toBeUndefined();
    expect(parseASNumber('-1')).toBeUndefined();
  });
});

describe('Node update -> core Node annotations', () => {
  it('writes Calico labels (not the inherited ones), annotations and the spec; keeps every other annotation', () => {
    const current = worker();
    const read = JSON.parse(presentNode(current).value);
    read.metadata.labels.rack = 'r1';
    read.metadata.annotations.note = 'x';
    read.spec.bgp.asNumber = 64512;
    delete read.spec.bgp.ipv4IPIPTunnelAddr;
    read.spec.ipv4VXLANTunnelAddr = '192.168.162.129';
    const merged = mergeNodeIntoKube(JSON.stringify(read), current);
    expect(merged.metadata.annotations).toEqual({
      'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
      'node.alpha.kubernetes.io/ttl': '0',
      'projectcalico.org/IPv4Address': '172.18.0.3/16',
      'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      'projectcalico.org/labels': '{"rack":"r1"}',
      'projectcalico.org/annotations': '{"note":"x"}',
      'projectcalico.org/ASNumber': '64512',
      'projectcalico.org/IPv4VXLANTunnelAddr': '192.168.162.129',
    });
    // Only annotations change: labels, spec, status and the revision are the Node's own.
    expect({ ...merged, metadata: { ...merged.metadata, annotations: undefined } }).toEqual({
      ...current,
      metadata: { ...current.metadata, annotations: undefined },
    });
  });

  it('round-trips: a Node read and written unchanged keeps its annotations', () => {
    const current = worker();
    const merged = mergeNodeIntoKube(presentNode(current).value, current);
    expect(merged.metadata.annotations).toEqual(current.metadata.annotations);
    expect(presentNode(merged).value).toBe(presentNode(current).value);
  });

  it('is located by name; create and delete are refused as Calico refuses them', () => {
    expect(nodeMapping.locate('/calico/resources/v3/projectcalico.org/nodes/kind-worker')).toEqual({
      collection: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
      name: 'kind-worker',
    });
    expect(nodeMapping.locate('/calico/resources/v3/projectcalico.org/nodes/a/b')).toBeUndefined();
    expect(nodeMapping.unsupported).toEqual({ Create: true, Delete: true });
  });
});
