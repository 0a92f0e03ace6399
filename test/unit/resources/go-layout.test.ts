/**
 * Strict decoding and Go encoding of the nested Calico types: numorstring's JSON forms, omitzero,
 * JSON null, and the Kubernetes types inside ObjectMeta. Expected text written by hand from the
 * Go sources (api/pkg/lib/numorstring, encoding/json, apimachinery meta/v1).
 */
import { describe, expect, it } from 'vitest';

import { encodeGoJson } from '../../../src/codec/go-json.js';
import { decodeResource } from '../../../src/resources/decode.js';
import { resolveKind } from '../../../src/resources/registry.js';

/** Decodes a manifest object of a kind and encodes it as the etcdv3 backend stores it. */
function stored(kind: string, spec: unknown, metadata: unknown = { name: 'x' }): string {
  const schema = resolveKind(kind).schema;
  return encodeGoJson(
    decodeResource({ kind, apiVersion: 'projectcalico.org/v3', metadata, spec }, schema),
    schema,
  );
}

const specOf = (text: string): string => text.slice(text.indexOf('"spec":') + 7, -1);
const gnpRule = (rule: unknown): string => specOf(stored('GlobalNetworkPolicy', { ingress: [rule] }));
const decodeError = (kind: string, spec: unknown): string => {
  try {
    stored(kind, spec);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('numorstring.Port', () => {
  it('keeps the form Port.MarshalJSON writes: numbers for single ports, text for ranges and names', () => {
    expect(
      gnpRule({ action: 'Allow', destination: { ports: [80, '443', '8080:8080', '080:0090', 'web'] } }),
    ).toBe('{"ingress":[{"action":"Allow","destination":{"ports":[80,443,8080,"80:90","web"]}}]}');
  });

  it("refuses with PortFromString's messages and encoding/json's range error", () => {
    const bad = (port: unknown) =>
      decodeError('GlobalNetworkPolicy', { ingress: [{ action: 'Allow', source: { ports: [port] } }] });
    expect(bad('65536')).toBe('invalid port format (65536)');
    expect(bad('70000:80')).toBe('invalid minimum port number in range (70000:80)');
    expect(bad('80:70000')).toBe('invalid maximum port number in range (80:70000)');
    expect(bad('90:80')).toBe(
      'minimum port number (90) is greater than maximum port number (80) in port range',
    );
    expect(bad('a b')).toBe('invalid name for named port (a b)');
    expect(bad(65536)).toBe(
      'json: cannot unmarshal number 65536 into Go struct field EntityRule.spec.ingress.source.ports of type uint16',
    );
    expect(bad(true)).toBe(
      'json: cannot unmarshal bool into Go struct field EntityRule.spec.ingress.source.ports of type uint16',
    );
  });

  it('reads a null port as the zero Port (UnmarshalJSON is called with null)', () => {
    expect(gnpRule({ action: 'Allow', source: { ports: [null] } })).toBe(
      '{"ingress":[{"action":"Allow","source":{"ports":[0]}}]}',
    );
  });
});

describe('numorstring.Protocol', () => {
  it('turns a string of digits up to 255 into a number and keeps any other text as written', () => {
    expect(gnpRule({ action: 'Allow', protocol: '17', notProtocol: 'tcp' })).toBe(
      '{"ingress":[{"action":"Allow","protocol":17,"notProtocol":"tcp"}]}',
    );
    expect(gnpRule({ action: 'Allow', protocol: '256' })).toBe(
      '{"ingress":[{"action":"Allow","protocol":"256"}]}',
    );
    expect(decodeError('GlobalNetworkPolicy', { ingress: [{ protocol: 256 }] })).toBe(
      'json: cannot unmarshal number 256 into Go struct field Rule.spec.ingress.protocol of type uint8',
    );
  });

  it('writes 0 for the non-pointer Protocol of an endpoint port left out or null, null stays absent for *Protocol', () => {
    expect(
      specOf(
        stored('HostEndpoint', {
          ports: [
            { name: 'a', port: 1 },
            { name: 'b', port: 2, protocol: null },
          ],
        }),
      ),
    ).toBe('{"ports":[{"name":"a","protocol":0,"port":1},{"name":"b","protocol":0,"port":2}]}');
    expect(gnpRule({ action: 'Allow', protocol: null })).toBe('{"ingress":[{"action":"Allow"}]}');
  });
});

describe('intstr.IntOrString', () => {
  it('keeps its JSON type', () => {
    expect(
      specOf(
        stored(
          'StagedKubernetesNetworkPolicy',
          { ingress: [{ ports: [{ port: '80' }, { port: 80 }] }] },
          { name: 'x', namespace: 'n' },
        ),
      ),
    ).toBe('{"podSelector":{},"ingress":[{"ports":[{"port":"80"},{"port":80}]}]}');
  });
});

describe('omitzero (Rule.source, Rule.destination)', () => {
  it('drops an EntityRule whose fields are all zero but keeps one with a non-nil empty slice', () => {
    expect(gnpRule({ action: 'Deny', source: { selector: '', nets: null }, destination: { nets: [] } })).toBe(
      '{"ingress":[{"action":"Deny","destination":{}}]}',
    );
  });

  it('reads a null rule as the zero Rule', () => {
    expect(specOf(stored('GlobalNetworkPolicy', { egress: [null] }))).toBe('{"egress":[{"action":""}]}');
  });
});

describe('ObjectMeta nested types', () => {
  it('writes ownerReferences, managedFields and conditions in Go order', () => {
    const text = stored(
      'Tier',
      { order: 5 },
      {
        managedFields: [
          {
            subresource: 'status',
            fieldsV1: { 'f:spec': {} },
            time: '2026-01-02T03:04:05Z',
            operation: 'Update',
            manager: 'm',
          },
        ],
        ownerReferences: [{ controller: true, uid: 'u1', name: 'o', kind: 'K', apiVersion: 'v1' }],
        name: 't1',
      },
    );
    expect(text).toBe(
      '{"kind":"Tier","apiVersion":"projectcalico.org/v3","metadata":{"name":"t1",' +
        '"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"o","uid":"u1","controller":true}],' +
        '"managedFields":[{"manager":"m","operation":"Update","time":"2026-01-02T03:04:05Z","fieldsV1":{"f:spec":{}},"subresource":"status"}]},' +
        '"spec":{"order":5},"status":{}}',
    );
    expect(() => stored('Tier', {}, { name: 't1', ownerReferences: [{ name: 'o', extra: 1 }] })).toThrow(
      'json: unknown field "extra"',
    );
  });

  it('writes status conditions as metav1.Condition, a zero lastTransitionTime as null', () => {
    const schema = resolveKind('tier').schema;
    const tier = decodeResource(
      {
        kind: 'Tier',
        metadata: { name: 't1' },
        status: {
          conditions: [{ message: 'm', reason: 'R', status: 'True', type: 'Ready', observedGeneration: 2 }],
        },
      },
      schema,
    );
    expect(encodeGoJson(tier, schema)).toBe(
      '{"kind":"Tier","metadata":{"name":"t1"},"spec":{},"status":{"conditions":' +
        '[{"type":"Ready","status":"True","observedGeneration":2,"lastTransitionTime":null,"reason":"R","message":"m"}]}}',
    );
  });
});

describe('pointers to slices (FelixConfiguration *[]T)', () => {
  it('stores an empty list, which is not the nil one omitempty drops', () => {
    expect(
      specOf(
        stored('FelixConfiguration', { failsafeInboundHostPorts: [], kubeNodePortRanges: ['30000:32767'] }),
      ),
    ).toBe('{"failsafeInboundHostPorts":[],"kubeNodePortRanges":["30000:32767"],"bpfLogLevel":""}');
    expect(
      specOf(stored('FelixConfiguration', { failsafeInboundHostPorts: null, bpfExcludeCIDRsFromNAT: [] })),
    ).toBe('{"bpfLogLevel":"","bpfExcludeCIDRsFromNAT":[]}');
  });
});
