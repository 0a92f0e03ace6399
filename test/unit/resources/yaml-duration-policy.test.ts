import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

import { parseText } from '../../../src/resources/manifest.js';
import { formatGoDuration, parseGoDuration } from '../../../src/codec/go-duration.js';
import {
  defaultPolicy,
  restorePolicyName,
  validatePolicy,
  withStoredPolicyName,
} from '../../../src/resources/kinds/policy.js';
import type { ResourceObject } from '../../../src/resources/types.js';
import { selectorFailures } from '../../../src/resources/field-rules.js';
import { YAML11_SCHEMA } from '../../../src/resources/yaml11.js';

const load = (text: string) => yaml.load(text, { schema: YAML11_SCHEMA });

describe('YAML 1.1 scalars as go.yaml.in/yaml/v2 resolves them', () => {
  it('reads yes/no/on/off as booleans and Go integer forms as numbers', () => {
    expect(load('[yes, No, ON, off, y, N, true, FALSE]')).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(load('[0777, 0x1F, 0o17, 0b101, -0b101, 1_000, +5, 1e3, .5, "yes", 1:20, 2024-01-02]')).toEqual([
      511,
      31,
      15,
      5,
      -5,
      1000,
      5,
      1000,
      0.5,
      'yes',
      '1:20',
      '2024-01-02',
    ]);
    expect(load('[~, null, NULL, ""]')).toEqual([null, null, null, '']);
    expect(load('12345678901234567890')).toBe(12345678901234567890n);
  });

  it('reads what Go reads where the reader and the writer used to disagree (sigs.k8s.io/yaml v1.6)', () => {
    // Go: .5_5 is the float 0.55; 1e400 overflows ParseFloat and stays a string; a '+' before a
    // uint64 fails ParseInt and ParseUint, so it is a float.
    expect(load('[.5_5, 1e400, +18446744073709551615]')).toEqual([0.55, '1e400', 2 ** 64]);
  });

  it('turns a YAML boolean or number into text for Go string fields, as sigs.k8s.io/yaml does', () => {
    const [r] = parseText(
      'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: p\n  labels: {enabled: yes, n: 0777}\nspec:\n  cidr: 10.0.0.0/16\n  natOutgoing: on\n',
      'f.yaml',
    );
    // Even a key: yaml.v2 reads the key `n` as the boolean false, which becomes "false".
    expect(r!.resource.metadata.labels).toEqual({ enabled: 'true', false: '511' });
    expect(r!.resource.spec?.natOutgoing).toBe(true);
  });
});

describe('metav1.Duration', () => {
  it('parses like time.ParseDuration and prints like Duration.String()', () => {
    const norm = (s: string) => formatGoDuration(parseGoDuration(s));
    expect(norm('120s')).toBe('2m0s');
    expect(norm('1.5h')).toBe('1h30m0s');
    expect(norm('90m')).toBe('1h30m0s');
    expect(norm('1500ms')).toBe('1.5s');
    expect(norm('500ms')).toBe('500ms');
    expect(norm('1.5us')).toBe('1.5µs');
    expect(norm('0')).toBe('0s');
    expect(norm('-61s')).toBe('-1m1s');
    expect(() => parseGoDuration('10')).toThrow('time: missing unit in duration "10"');
    expect(() => parseGoDuration('1d')).toThrow('time: unknown unit "d" in duration "1d"');
    expect(() => parseGoDuration('')).toThrow('time: invalid duration ""');
  });

  it('is normalised when a manifest is decoded, and bad text is a decode error', () => {
    const peer = (t: string) =>
      `apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: p}\nspec: {peerIP: 10.0.0.1, asNumber: 1, keepaliveTime: ${t}}\n`;
    expect(parseText(peer('120s'), 'f')[0]!.resource.spec?.keepaliveTime).toBe('2m0s');
    expect(() => parseText(peer('2x'), 'f')).toThrow('time: unknown unit "x" in duration "2x"');
  });

  it('makes FelixConfiguration strict', () => {
    const felix = (spec: string) =>
      `apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: {${spec}}\n`;
    expect(parseText(felix('routeRefreshInterval: 90s'), 'f')[0]!.resource.spec).toEqual({
      routeRefreshInterval: '1m30s',
    });
    expect(() => parseText(felix('logSeverityScren: Info'), 'f')).toThrow(
      'field in document is not recognized or is in the wrong location: logSeverityScren',
    );
  });
});

describe('policies (v3.30+)', () => {
  const policy = (spec: Record<string, unknown>, name = 'allow'): ResourceObject => ({
    kind: 'NetworkPolicy',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name, namespace: 'ns' },
    spec,
  });

  it('defaults types, tier and the tier label as api/pkg/defaults does', () => {
    const p = policy({ egress: [{ action: 'Allow' }] });
    defaultPolicy(p);
    expect(p.spec).toEqual({ egress: [{ action: 'Allow' }], types: ['Egress'], tier: 'default' });
    expect(p.metadata.labels).toEqual({ 'projectcalico.org/tier': 'default' });
    const both = policy({ ingress: [{}], egress: [{}], tier: 'security' });
    defaultPolicy(both);
    expect(both.spec?.types).toEqual(['Ingress', 'Egress']);
    expect(both.metadata.labels).toEqual({ 'projectcalico.org/tier': 'security' });
    const none = policy({});
    defaultPolicy(none);
    expect(none.spec?.types).toEqual(['Ingress']);
  });

  it('stores the name in projectcalico.org/metadata and restores it on read', () => {
    const stored = withStoredPolicyName(policy({ tier: 'default' }, 'a<b'));
    expect(stored.metadata.annotations).toEqual({ 'projectcalico.org/metadata': '{"name":"a\\u003cb"}' });
    restorePolicyName(stored);
    expect(stored.metadata.name).toBe('a<b');
    expect(stored.metadata.annotations).toBeUndefined();
    // Written before v3.30: no annotation, "default." prefix stripped in the default tier only.
    const old = policy({ tier: 'default' }, 'default.allow');
    restorePolicyName(old);
    expect(old.metadata.name).toBe('allow');
    expect(old.metadata.labels).toEqual({ 'projectcalico.org/tier': 'default' });
    const other = policy({ tier: 'sec' }, 'default.allow');
    restorePolicyName(other);
    expect(other.metadata.name).toBe('default.allow');
  });

  it('validates selectors with the validator tag text', () => {
    expect(
      selectorFailures([
        ['NodeSelector', "a == 'b'"],
        ['PeerSelector', 'all()'],
      ]),
    ).toEqual([]);
    const [f] = selectorFailures([['NodeSelector', "a == 'b' &&"]]);
    expect(f).toMatchObject({
      name: 'NodeSelector',
      value: "a == 'b' &&",
      reason: 'Reason: failed to validate Field: NodeSelector because of Tag: selector ',
    });
    const errs = validatePolicy(
      policy({ selector: 'has(', types: ['Sideways'], egress: [{ destination: { selector: "x in {'a'" } }] }),
    );
    expect(errs.map((e) => e.name)).toEqual(['Types[0]', 'Selector', 'Selector']);
  });
});
