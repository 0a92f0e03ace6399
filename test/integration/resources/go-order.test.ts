/**
 * Nested parts of the Calico kinds stored as Go's encoding/json writes the v3 structs: whatever the
 * manifest's key order, the etcd value has struct fields in Go declaration order, map keys sorted,
 * omitempty/omitzero applied and numorstring values in their MarshalJSON form. Every manifest
 * below has every field present, in scrambled order; each expected value was written by hand from
 * projectcalico/calico v3.32.1 api/pkg/apis/projectcalico/v3/*.go, api/pkg/lib/numorstring and
 * k8s.io/api networking/v1 (not from this code).
 */
import { describe, expect, it } from 'vitest';

import { cliSession, useEtcd } from './session.js';

const etcd = useEtcd();

interface Case {
  kind: string;
  key: string;
  manifest: string;
  /** The whole etcd value, with U and T where the uid and creationTimestamp the server set go. */
  stored: string;
}

const RULES_YAML = `
  egress:
  - destination:
      notPorts: ["9000:9010"]
      ports: [80, "443", "8080:8080", http]
      nets: [10.0.0.0/8]
    protocol: TCP
    action: Allow
  ingress:
  - metadata:
      annotations:
        zeta: last
        alpha: first
    http:
      paths:
      - prefix: /api
      - exact: /healthz
      methods: [GET, POST]
    destination:
      serviceAccounts:
        selector: app == 'web'
        names: [web, api]
      notPorts: [8443]
      notSelector: tier == 'test'
      notNets: [10.1.0.0/16]
      ports: ["8000:8080"]
      services:
        namespace: prod
        name: frontend
      namespaceSelector: env == 'prod'
      selector: app == 'api'
      nets: [10.2.0.0/16]
    source:
      nets: []
    notICMP:
      code: 0
      type: 5
    notProtocol: "1"
    icmp:
      code: 0
      type: 8
    protocol: "6"
    ipVersion: 4
    action: Deny
  - action: Pass
    source:
      notSelector: ""
      notNets: null`;

// Go order: Rule{action ipVersion protocol icmp notProtocol notICMP source destination http metadata};
// EntityRule{nets selector namespaceSelector services ports notNets notSelector notPorts
// serviceAccounts}. "443" and "8080:8080" are numorstring.Port 443 and 8080; protocol "6" is
// Protocol 6. `source: {nets: []}` is a non-nil empty slice, so the omitzero EntityRule stays as {};
// a source with only empty values is zero and is left out.
const INGRESS_JSON =
  '[{"action":"Deny","ipVersion":4,"protocol":6,"icmp":{"type":8,"code":0},"notProtocol":1,' +
  '"notICMP":{"type":5,"code":0},"source":{},' +
  '"destination":{"nets":["10.2.0.0/16"],"selector":"app == \'api\'","namespaceSelector":"env == \'prod\'",' +
  '"services":{"name":"frontend","namespace":"prod"},"ports":["8000:8080"],"notNets":["10.1.0.0/16"],' +
  '"notSelector":"tier == \'test\'","notPorts":[8443],"serviceAccounts":{"names":["web","api"],"selector":"app == \'web\'"}},' +
  '"http":{"methods":["GET","POST"],"paths":[{"prefix":"/api"},{"exact":"/healthz"}]},' +
  '"metadata":{"annotations":{"alpha":"first","zeta":"last"}}},' +
  '{"action":"Pass"}]';
const EGRESS_JSON =
  '[{"action":"Allow","protocol":"TCP","destination":{"nets":["10.0.0.0/8"],"ports":[80,443,8080,"http"],"notPorts":["9000:9010"]}}]';

const policyMeta = (name: string, namespace?: string): string =>
  `{"name":"${name}",${namespace ? `"namespace":"${namespace}",` : ''}"uid":"U","creationTimestamp":"T",` +
  `"labels":{"projectcalico.org/tier":"default"},` +
  `"annotations":{"projectcalico.org/metadata":"{\\"name\\":\\"${name}\\"}"}}`;

const cases: Case[] = [
  {
    kind: 'GlobalNetworkPolicy',
    key: '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/gnp-every-field',
    manifest: `kind: GlobalNetworkPolicy
apiVersion: projectcalico.org/v3
metadata:
  name: gnp-every-field
spec:
  performanceHints: [AssumeNeededOnEveryNode]
  namespaceSelector: has(team)
  serviceAccountSelector: role == 'x'
  applyOnForward: true
  preDNAT: false
  doNotTrack: true
  types: [Egress, Ingress]
  selector: role == 'db'${RULES_YAML}
  order: 10.5
  tier: default
`,
    stored:
      '{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":' +
      policyMeta('gnp-every-field') +
      ',"spec":{"tier":"default","order":10.5,"ingress":' +
      INGRESS_JSON +
      ',"egress":' +
      EGRESS_JSON +
      ',"selector":"role == \'db\'","types":["Egress","Ingress"],"doNotTrack":true,"applyOnForward":true,' +
      '"serviceAccountSelector":"role == \'x\'","namespaceSelector":"has(team)",' +
      '"performanceHints":["AssumeNeededOnEveryNode"]}}',
  },
  {
    kind: 'NetworkPolicy',
    key: '/calico/resources/v3/projectcalico.org/networkpolicies/ns1/np-every-field',
    manifest: `spec:
  performanceHints: [AssumeNeededOnEveryNode]
  serviceAccountSelector: role == 'x'
  types: [Ingress, Egress]
  selector: role == 'db'${RULES_YAML}
  order: 100
  tier: default
metadata:
  namespace: ns1
  name: np-every-field
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
`,
    stored:
      '{"kind":"NetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":' +
      policyMeta('np-every-field', 'ns1') +
      ',"spec":{"tier":"default","order":100,"ingress":' +
      INGRESS_JSON +
      ',"egress":' +
      EGRESS_JSON +
      ',"selector":"role == \'db\'","types":["Ingress","Egress"],"serviceAccountSelector":"role == \'x\'",' +
      '"performanceHints":["AssumeNeededOnEveryNode"]}}',
  },
  {
    // HostEndpointSpec{node interfaceName expectedIPs profiles ports}; EndpointPort{name protocol
    // port}, none omitempty: a protocol left out is the zero Protocol, written 0.
    kind: 'HostEndpoint',
    key: '/calico/resources/v3/projectcalico.org/hostendpoints/hep-every-field',
    manifest: `apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: hep-every-field
spec:
  ports:
  - port: 8080
    protocol: "6"
    name: web
  - protocol: UDP
    name: dns
    port: 53
  - port: 9
    name: discard
  profiles: [p2, p1]
  expectedIPs: [10.0.0.1, "fd00::1"]
  interfaceName: eth0
  node: node1
`,
    stored:
      '{"kind":"HostEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"hep-every-field",' +
      '"uid":"U","creationTimestamp":"T"},"spec":{"node":"node1","interfaceName":"eth0",' +
      '"expectedIPs":["10.0.0.1","fd00::1"],"profiles":["p2","p1"],"ports":[{"name":"web","protocol":6,"port":8080},' +
      '{"name":"dns","protocol":"UDP","port":53},{"name":"discard","protocol":0,"port":9}]}}',
  },
  {
    // BGPFilterRuleV4/V6{cidr prefixLength source interface matchOperator peerType communities
    // asPathPrefix priority action operations}; BGPFilterOperation{addCommunity prependASPath
    // setPriority}; asPathPrefix/prefix are numorstring.ASNumber ("1.10" is 65546).
    kind: 'BGPFilter',
    key: '/calico/resources/v3/projectcalico.org/bgpfilters/bgpf-every-field',
    manifest: `apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  name: bgpf-every-field
spec:
  importV6:
  - action: Reject
    matchOperator: NotIn
    cidr: fd00::/8
  exportV6:
  - prefixLength: {min: 64}
    action: Accept
    cidr: fd00::/8
    matchOperator: Equal
  importV4:
  - action: Accept
    interface: "*.calico"
  exportV4:
  - operations:
    - setPriority: {value: 200}
    - prependASPath: {prefix: [65001, "1.10"]}
    - addCommunity: {value: "65000:100"}
    action: Accept
    priority: 10
    asPathPrefix: ["64512", 64513]
    communities:
      values: ["65000:1", "65000:2"]
    peerType: eBGP
    matchOperator: In
    interface: eth0
    source: RemotePeers
    prefixLength:
      max: 28
      min: 16
    cidr: 10.0.0.0/8
`,
    stored:
      '{"kind":"BGPFilter","apiVersion":"projectcalico.org/v3","metadata":{"name":"bgpf-every-field",' +
      '"uid":"U","creationTimestamp":"T"},"spec":{"exportV4":[{"cidr":"10.0.0.0/8",' +
      '"prefixLength":{"min":16,"max":28},"source":"RemotePeers","interface":"eth0","matchOperator":"In",' +
      '"peerType":"eBGP","communities":{"values":["65000:1","65000:2"]},"asPathPrefix":[64512,64513],' +
      '"priority":10,"action":"Accept","operations":[{"setPriority":{"value":200}},' +
      '{"prependASPath":{"prefix":[65001,65546]}},{"addCommunity":{"value":"65000:100"}}]}],' +
      '"importV4":[{"interface":"*.calico","action":"Accept"}],' +
      '"exportV6":[{"cidr":"fd00::/8","prefixLength":{"min":64},"matchOperator":"Equal","action":"Accept"}],' +
      '"importV6":[{"cidr":"fd00::/8","matchOperator":"NotIn","action":"Reject"}]}}',
  },
  {
    // StagedKubernetesNetworkPolicySpec{stagedAction podSelector ingress egress policyTypes};
    // networking/v1: IngressRule{ports from}, EgressRule{ports to}, NetworkPolicyPort{protocol port
    // endPort}, NetworkPolicyPeer{podSelector namespaceSelector ipBlock}, IPBlock{cidr except};
    // metav1.LabelSelector{matchLabels matchExpressions}, requirement{key operator values}.
    // intstr.IntOrString keeps its JSON type ("80" stays a string); podSelector is never omitted.
    kind: 'StagedKubernetesNetworkPolicy',
    key: '/calico/resources/v3/projectcalico.org/stagedkubernetesnetworkpolicies/ns1/sknp-every-field',
    manifest: `apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata:
  namespace: ns1
  name: sknp-every-field
spec:
  policyTypes: [Ingress, Egress]
  egress:
  - to:
    - ipBlock:
        except: [10.0.1.0/24]
        cidr: 10.0.0.0/16
    ports:
    - endPort: 9000
      port: 8000
      protocol: UDP
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: b, env: prod}
      podSelector:
        matchExpressions:
        - values: [web, api]
          operator: In
          key: app
        - operator: Exists
          key: tier
    ports:
    - port: "80"
      protocol: TCP
    - port: http
  podSelector:
    matchLabels: {role: db}
  stagedAction: Set
`,
    stored:
      '{"kind":"StagedKubernetesNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":' +
      '{"name":"sknp-every-field","namespace":"ns1","uid":"U","creationTimestamp":"T"},"spec":' +
      '{"stagedAction":"Set","podSelector":{"matchLabels":{"role":"db"}},"ingress":[{"ports":' +
      '[{"protocol":"TCP","port":"80"},{"port":"http"}],"from":[{"podSelector":{"matchExpressions":' +
      '[{"key":"app","operator":"In","values":["web","api"]},{"key":"tier","operator":"Exists"}]},' +
      '"namespaceSelector":{"matchLabels":{"env":"prod","team":"b"}}}]}],"egress":[{"ports":' +
      '[{"protocol":"UDP","port":8000,"endPort":9000}],"to":[{"ipBlock":{"cidr":"10.0.0.0/16",' +
      '"except":["10.0.1.0/24"]}}]}],"policyTypes":["Ingress","Egress"]}}',
  },
  {
    // ProfileSpec{ingress egress labelsToApply}.
    kind: 'Profile',
    key: '/calico/resources/v3/projectcalico.org/profiles/profile-every-field',
    manifest: `apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: profile-every-field
spec:
  labelsToApply: {zone: b, app: web}${RULES_YAML}
`,
    stored:
      '{"kind":"Profile","apiVersion":"projectcalico.org/v3","metadata":{"name":"profile-every-field",' +
      '"uid":"U","creationTimestamp":"T"},"spec":{"ingress":' +
      INGRESS_JSON +
      ',"egress":' +
      EGRESS_JSON +
      ',"labelsToApply":{"app":"web","zone":"b"}}}',
  },
  {
    // internalapi.WorkloadEndpointSpec{orchestrator workload node containerID pod endpoint
    // serviceAccountName ipNetworks ipNATs ipv4Gateway ipv6Gateway profiles interfaceName mac ports
    // allowSpoofedSourcePrefixes qosControls}; WorkloadEndpointPort{name protocol port hostPort
    // hostIP} and IPNAT{internalIP externalIP}, none omitempty; QoSControls' dscp is a
    // numorstring.DSCP ("46" is 46).
    kind: 'WorkloadEndpoint',
    key: '/calico/resources/v3/projectcalico.org/workloadendpoints/ns1/node1-k8s-pod1-eth0',
    manifest: `apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  namespace: ns1
  name: node1-k8s-pod1-eth0
spec:
  qosControls:
    dscp: "46"
    egressMaxConnections: 100
    ingressBandwidth: 1000000
  allowSpoofedSourcePrefixes: [10.9.0.0/16]
  ports:
  - hostIP: 127.0.0.1
    hostPort: 8080
    port: 80
    protocol: TCP
    name: http
  mac: "ee:ee:ee:ee:ee:ee"
  interfaceName: cali0123456789a
  profiles: [kns.ns1]
  ipv6Gateway: "fd00::1"
  ipv4Gateway: 169.254.1.1
  ipNATs:
  - externalIP: 172.16.0.1
    internalIP: 10.0.0.5
  ipNetworks: [10.0.0.5/32]
  serviceAccountName: default
  endpoint: eth0
  pod: pod1
  containerID: abc123
  node: node1
  workload: ""
  orchestrator: k8s
`,
    stored:
      '{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1-k8s-pod1-eth0",' +
      '"namespace":"ns1","uid":"U","creationTimestamp":"T"},"spec":{"orchestrator":"k8s","node":"node1",' +
      '"containerID":"abc123","pod":"pod1","endpoint":"eth0","serviceAccountName":"default",' +
      '"ipNetworks":["10.0.0.5/32"],"ipNATs":[{"internalIP":"10.0.0.5","externalIP":"172.16.0.1"}],' +
      '"ipv4Gateway":"169.254.1.1","ipv6Gateway":"fd00::1","profiles":["kns.ns1"],' +
      '"interfaceName":"cali0123456789a","mac":"ee:ee:ee:ee:ee:ee","ports":[{"name":"http","protocol":"TCP",' +
      '"port":80,"hostPort":8080,"hostIP":"127.0.0.1"}],"allowSpoofedSourcePrefixes":["10.9.0.0/16"],' +
      '"qosControls":{"ingressBandwidth":1000000,"egressMaxConnections":100,"dscp":46}}}',
  },
];

/** The stored value with the server-set uid and creationTimestamp replaced by U and T. */
function withoutServerFields(raw: string): string {
  return raw.replace(
    /"uid":"[0-9a-f-]{36}","creationTimestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/,
    '"uid":"U","creationTimestamp":"T"',
  );
}

describe('nested fields stored in Go order (etcd)', () => {
  const { file, cli } = cliSession(() => etcd().env);
  const raw = async (key: string) => (await etcd().etcdctl(['get', key, '--print-value-only'])).trim();

  it.each(cases)('$kind: every field, scrambled, is stored as Go writes it', async (c) => {
    const applied = await cli(['apply', '-f', file(`${c.kind}.yaml`, c.manifest)]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(withoutServerFields(await raw(c.key))).toBe(c.stored);
  });

  it.each(cases)(
    '$kind: get -o json prints the stored order; get -o yaml applies back unchanged',
    async (c) => {
      const ns = /\/(ns1)\//.exec(c.key)?.[1];
      const name = c.key.split('/').pop()!;
      const target = [c.kind, name, ...(ns ? ['-n', ns] : [])];
      const json = await cli(['get', ...target, '-o', 'json']);
      expect(json.code).toBe(0);
      // What get prints is the stored object read back: the same spec, key for key and in order.
      const stored = JSON.parse(c.stored) as { spec: unknown };
      const storedAgain = JSON.parse(withoutServerFields(await raw(c.key))) as { spec: unknown };
      expect(JSON.stringify((JSON.parse(json.stdout) as { spec: unknown }).spec)).toBe(
        JSON.stringify(storedAgain.spec).replace('"source":{},', ''),
      );
      expect(storedAgain).toEqual(stored);

      const yaml = await cli(['get', ...target, '-o', 'yaml']);
      expect(yaml.code).toBe(0);
      const reapplied = await cli(['apply', '-f', file(`${c.kind}-roundtrip.yaml`, yaml.stdout)]);
      expect(reapplied.stderr).toBe('');
      expect(reapplied.code).toBe(0);
      expect(withoutServerFields(await raw(c.key))).toBe(c.stored.replace('"source":{},', ''));
    },
  );

  it('refuses an unknown field inside a rule, naming it, and writes nothing', async () => {
    const manifest = cases[0]!.manifest
      .replace('gnp-every-field', 'gnp-unknown-nested')
      .replace('exact: /healthz', 'exakt: /healthz');
    const r = await cli(['apply', '-f', file('unknown-nested.yaml', manifest)]);
    expect(r.stderr.split('\n')[0]).toBe(
      'field in document is not recognized or is in the wrong location: exakt',
    );
    expect(r.code).toBe(2);
    expect(await raw('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/gnp-unknown-nested')).toBe(
      '',
    );
  });

  it('refuses a port numorstring.Port cannot parse, with its message', async () => {
    const manifest = cases[0]!.manifest
      .replace('gnp-every-field', 'gnp-bad-port')
      .replace('"9000:9010"', '"9010:9000"');
    const r = await cli(['apply', '-f', file('bad-port.yaml', manifest)]);
    expect(r.stderr.split('\n')[0]).toContain(
      'minimum port number (9010) is greater than maximum port number (9000) in port range',
    );
    expect(r.code).toBe(2);
  });
});
