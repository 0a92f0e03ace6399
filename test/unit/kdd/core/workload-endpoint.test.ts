/**
 * Calico WorkloadEndpoints from Pods (kdd.md §5.2, libcalico-go k8s/conversion/workload_endpoint_default.go):
 * the etcd value Calico's etcd backend would hold for the endpoint of a Deployment's pod on a kind
 * worker, the name escaping, the address precedence, and the delete patch.
 */
import { describe, expect, it } from 'vitest';

import {
  deletePatch,
  interfaceName,
  podOfWorkloadEndpoint,
  presentPod,
  workloadEndpointMapping,
  workloadEndpointName,
} from '../../../../src/datastore/kdd/core/workload-endpoint.js';
import type { KubeObject } from '../../../../src/datastore/kdd/mapping.js';
import { qosControls, quantityValue } from '../../../../src/datastore/kdd/core/qos.js';

/** An nginx Deployment's pod as kube-apiserver returns it once Calico's CNI plugin set it up. */
const nginx = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'nginx-7c5ddbdf54-x2v9k',
    generateName: 'nginx-7c5ddbdf54-',
    namespace: 'default',
    uid: '0b7d4c1e-6a2f-4f3b-8e9d-1c2b3a4d5e6f',
    resourceVersion: '2231',
    creationTimestamp: '2026-06-01T10:05:00Z',
    labels: { app: 'nginx', 'pod-template-hash': '7c5ddbdf54' },
    annotations: {
      'cni.projectcalico.org/containerID': '5c1b2f0e9d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
      'cni.projectcalico.org/podIP': '192.168.162.131/32',
      'cni.projectcalico.org/podIPs': '192.168.162.131/32',
    },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nginx-7c5ddbdf54', uid: 'x' }],
  },
  spec: {
    nodeName: 'kind-worker',
    serviceAccountName: 'default',
    containers: [
      {
        name: 'nginx',
        image: 'nginx:1.27',
        ports: [
          { containerPort: 80, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9113, protocol: 'TCP' },
        ],
      },
    ],
  },
  status: { phase: 'Running', podIP: '192.168.162.131', podIPs: [{ ip: '192.168.162.131' }] },
});

describe('WorkloadEndpoint <- Pod', () => {
  it("presents a running pod as Calico's etcd backend stores its endpoint", () => {
    expect(presentPod(nginx())).toEqual({
      key: '/calico/resources/v3/projectcalico.org/workloadendpoints/default/kind--worker-k8s-nginx--7c5ddbdf54--x2v9k-eth0',
      value:
        '{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"kind--worker-k8s-nginx--7c5ddbdf54--x2v9k-eth0",' +
        '"generateName":"nginx-7c5ddbdf54-","namespace":"default","uid":"0b7d4c1e-6a2f-4f3b-8e9d-1c2b3a4d5e6f","creationTimestamp":"2026-06-01T10:05:00Z",' +
        '"labels":{"app":"nginx","pod-template-hash":"7c5ddbdf54","projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"k8s","projectcalico.org/serviceaccount":"default"}},' +
        '"spec":{"orchestrator":"k8s","node":"kind-worker","containerID":"5c1b2f0e9d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b","pod":"nginx-7c5ddbdf54-x2v9k",' +
        '"endpoint":"eth0","serviceAccountName":"default","ipNetworks":["192.168.162.131/32"],"profiles":["kns.default","ksa.default.default"],' +
        '"interfaceName":"cali8805ac045c1","ports":[{"name":"metrics","protocol":"TCP","port":9113,"hostPort":0,"hostIP":""}]}}',
    });
  });

  it('escapes dashes in the name and parses them back', () => {
    expect(workloadEndpointName('node-1', 'web-0')).toBe('node--1-k8s-web--0-eth0');
    expect(podOfWorkloadEndpoint('node--1-k8s-web--0-eth0')).toBe('web-0');
    expect(podOfWorkloadEndpoint('kind--worker-k8s-nginx--7c5ddbdf54--x2v9k-eth0')).toBe(
      'nginx-7c5ddbdf54-x2v9k',
    );
    expect(podOfWorkloadEndpoint('node1-cni-abc-eth0')).toBeUndefined();
    expect(podOfWorkloadEndpoint('node1-k8s-eth0')).toBeUndefined();
  });

  it('names the interface cali + SHA-1 of <namespace>.<pod>, or with FELIX_INTERFACEPREFIX', () => {
    expect(interfaceName('kube-system', 'coredns-5d78c9869d-4xk2p')).toBe('cali83b52a1d4b4');
    expect(interfaceName('kube-system', 'coredns-5d78c9869d-4xk2p', 'azv,cali')).toBe('azv83b52a1d4b4');
  });

  it('takes addresses from status.podIPs, then status.podIP, then the podIPs and podIP annotations', () => {
    const nets = (p: KubeObject) => JSON.parse(presentPod(p)!.value).spec.ipNetworks as string[] | undefined;
    const p = nginx();
    p.status = {
      phase: 'Running',
      podIP: '192.168.162.131',
      podIPs: [{ ip: '192.168.162.131' }, { ip: 'fd00:10:244::5' }],
    };
    expect(nets(p)).toEqual(['192.168.162.131/32', 'fd00:10:244::5/128']);
    p.status = { phase: 'Running', podIP: '192.168.162.132' };
    expect(nets(p)).toEqual(['192.168.162.132/32']);
    p.status = { phase: 'Pending' };
    p.metadata.annotations!['cni.projectcalico.org/podIPs'] = '192.168.162.140/32,fd00:10:244::6/128';
    expect(nets(p)).toEqual(['192.168.162.140/32', 'fd00:10:244::6/128']);
    p.metadata.annotations!['cni.projectcalico.org/podIPs'] = '';
    expect(nets(p)).toEqual(['192.168.162.131/32']);
    // A finished pod no longer owns its addresses.
    p.status = { phase: 'Succeeded', podIP: '192.168.162.131' };
    expect(nets(p)).toBeUndefined();
    // Being deleted, with the CNI plugin's podIP annotation emptied.
    p.status = { phase: 'Running', podIP: '192.168.162.131' };
    p.metadata['deletionTimestamp'] = '2026-06-01T11:00:00Z';
    p.metadata.annotations!['cni.projectcalico.org/podIP'] = '';
    expect(nets(p)).toBeUndefined();
  });

  it('carries floating IPs, allowed source prefixes, host ports and the network-status annotation', () => {
    const p = nginx();
    Object.assign(p.metadata.annotations!, {
      'cni.projectcalico.org/floatingIPs': '["172.16.0.5","2001:db8::5"]',
      'cni.projectcalico.org/allowedSourcePrefixes': '["10.1.2.3/16"]',
      'k8s.v1.cni.cncf.io/network-status': '[{"name":"k8s-pod-network"}]',
    });
    (p.spec as { initContainers: unknown[] }).initContainers = [
      { name: 'init', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }] },
      { name: 'odd', ports: [{ name: 'x', containerPort: 1, protocol: 'ICMP' }] },
    ];
    const v = JSON.parse(presentPod(p)!.value);
    expect(v.metadata.annotations).toEqual({
      'k8s.v1.cni.cncf.io/network-status': '[{"name":"k8s-pod-network"}]',
    });
    expect(v.spec.ipNATs).toEqual([{ internalIP: '192.168.162.131', externalIP: '172.16.0.5' }]);
    expect(v.spec.allowSpoofedSourcePrefixes).toEqual(['10.1.0.0/16']);
    expect(v.spec.ports).toEqual([
      { name: 'metrics', protocol: 'TCP', port: 9113, hostPort: 0, hostIP: '' },
      { name: '', protocol: 'UDP', port: 53, hostPort: 5353, hostIP: '127.0.0.1' },
    ]);
  });

  it('presents no endpoint for a pod that is not scheduled or on the host network', () => {
    const unscheduled = nginx();
    delete (unscheduled.spec as { nodeName?: string }).nodeName;
    expect(presentPod(unscheduled)).toBeUndefined();
    const host = nginx();
    (host.spec as { hostNetwork: boolean }).hostNetwork = true;
    expect(presentPod(host)).toBeUndefined();
  });

  it('has no service-account profile or label without a service account', () => {
    const p = nginx();
    delete (p.spec as { serviceAccountName?: string }).serviceAccountName;
    const v = JSON.parse(presentPod(p)!.value);
    expect(v.spec.profiles).toEqual(['kns.default']);
    expect(v.metadata.labels['projectcalico.org/serviceaccount']).toBeUndefined();
  });
});

describe('WorkloadEndpoint writes', () => {
  it('deletes by emptying the podIP annotations through the pod status, with the revision when given', () => {
    expect(JSON.stringify(deletePatch(2231))).toBe(
      '{"metadata":{"annotations":{"cni.projectcalico.org/podIP":"","cni.projectcalico.org/podIPs":""},"resourceVersion":"2231"}}',
    );
    expect(deletePatch(undefined)).toEqual({
      metadata: { annotations: { 'cni.projectcalico.org/podIP': '', 'cni.projectcalico.org/podIPs': '' } },
    });
    expect(
      workloadEndpointMapping.locate(
        '/calico/resources/v3/projectcalico.org/workloadendpoints/default/kind--worker-k8s-nginx--7c5ddbdf54--x2v9k-eth0',
      ),
    ).toMatchObject({ name: 'nginx-7c5ddbdf54-x2v9k', namespace: 'default', collection: { plural: 'pods' } });
  });

  it('refuses create and update with the CNI plugin patch-mode message', () => {
    expect(workloadEndpointMapping.unsupported).toEqual({
      Create: 'unsupported PatchMode: patchModeUnspecified',
      Update: 'unsupported PatchMode: patchModeUnspecified',
    });
  });
});

describe('QoS controls from the pod annotations', () => {
  it('reads Kubernetes quantities as resource.Quantity.Value does (rounded up)', () => {
    expect(quantityValue('10M')).toBe(10_000_000n);
    expect(quantityValue('1Gi')).toBe(1_073_741_824n);
    expect(quantityValue('1.01k')).toBe(1010n);
    expect(quantityValue('1.5')).toBe(2n);
    expect(quantityValue('2e3')).toBe(2000n);
    expect(quantityValue('1E')).toBe(10n ** 18n);
    expect(quantityValue('500m')).toBe(1n);
    expect(quantityValue('1K')).toBeUndefined();
    expect(quantityValue('abc')).toBeUndefined();
  });

  it('applies the ranges, defaults and rules of handleQoSControlsAnnotations', () => {
    expect(qosControls({})).toBeUndefined();
    expect(
      qosControls({
        'kubernetes.io/ingress-bandwidth': '10M',
        'qos.projectcalico.org/egressBandwidth': '1', // below 1k: clamped
        'qos.projectcalico.org/egressPeakrate': '500', // clamped to 1.01k, above the bandwidth: kept
        'qos.projectcalico.org/ingressPacketRate': '100',
        'qos.projectcalico.org/egressMaxConnections': '10',
        'qos.projectcalico.org/dscp': 'af11',
      }),
    ).toEqual({
      ingressBandwidth: 10_000_000,
      ingressBurst: 4_294_967_296,
      egressBandwidth: 1000,
      egressBurst: 4_294_967_296,
      egressPeakrate: 1010,
      ingressPacketRate: 100,
      ingressPacketBurst: 5,
      egressMaxConnections: 10,
      dscp: 'AF11',
    });
    // The Calico annotation overrides the Kubernetes one; a burst without a bandwidth is dropped.
    expect(
      qosControls({
        'kubernetes.io/egress-bandwidth': '10M',
        'qos.projectcalico.org/egressBandwidth': '20M',
        'qos.projectcalico.org/egressPeakrate': '15M', // not above the bandwidth: dropped
        'qos.projectcalico.org/ingressBurst': '1M',
        'qos.projectcalico.org/dscp': '64',
      }),
    ).toEqual({ egressBandwidth: 20_000_000, egressBurst: 4_294_967_296 });
  });

  it('puts them last in the endpoint spec', () => {
    const p = nginx();
    p.metadata.annotations!['qos.projectcalico.org/dscp'] = '20';
    expect(presentPod(p)!.value).toMatch(/"ports":\[[^\]]*\],"qosControls":\{"dscp":"20"\}\}\}$/);
  });
});
