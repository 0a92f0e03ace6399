import { describe, expect, it } from 'vitest';

import { formatJSONFloat } from '../../../src/codec/go-float.js';
import { encodeGoJson, parseGoJson, quoteGoString, S } from '../../../src/codec/go-json.js';
import { allocationBlockSchema, ipamConfigSchema, ipamHandleSchema } from '../../../src/ipam/schemas.js';
import { WORKED_EXAMPLE_BLOCK as BLOCK } from '../ipam/fixtures.js';

// calico.md §1.2 worked example, with a minimal IPPool schema (helper E owns the full model).
const meta = S.struct([
  { name: 'name', schema: S.string(), omitempty: true },
  { name: 'namespace', schema: S.string(), omitempty: true },
  { name: 'uid', schema: S.string(), omitempty: true },
  { name: 'creationTimestamp', schema: S.string({ pointer: true }), omitempty: true },
  { name: 'labels', schema: S.map(S.string()), omitempty: true },
]);
const ipPool = S.struct([
  { name: 'kind', schema: S.string(), omitempty: true },
  { name: 'apiVersion', schema: S.string(), omitempty: true },
  { name: 'metadata', schema: meta, omitempty: true },
  {
    name: 'spec',
    schema: S.struct([
      { name: 'cidr', schema: S.string() },
      { name: 'vxlanMode', schema: S.string(), omitempty: true },
      { name: 'ipipMode', schema: S.string(), omitempty: true },
      { name: 'natOutgoing', schema: S.bool(), omitempty: true },
      { name: 'disabled', schema: S.bool(), omitempty: true },
      { name: 'disableBGPExport', schema: S.bool(), omitempty: true },
      { name: 'blockSize', schema: S.int(), omitempty: true },
      { name: 'nodeSelector', schema: S.string(), omitempty: true },
      { name: 'allowedUses', schema: S.slice(S.string()), omitempty: true },
      { name: 'assignmentMode', schema: S.string({ pointer: true }), omitempty: true },
    ]),
  },
]);
const POOL =
  '{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool",' +
  '"uid":"3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21","creationTimestamp":"2026-06-01T10:00:00Z"},' +
  '"spec":{"cidr":"192.168.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,"blockSize":26,' +
  '"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}';

describe('parseGoJson', () => {
  it('keeps integers beyond 2^53 exact as bigint and small ones as number', () => {
    const block = parseGoJson(BLOCK) as Record<string, unknown>;
    expect(block['sequenceNumber']).toBe(1780308000000000002n);
    expect(block['sequenceNumberForAllocation']).toEqual({
      '0': 1780308000000000000n,
      '1': 1780308000000000001n,
    });
    expect(block['unallocated']).toEqual([2, 3]);
    expect(parseGoJson('[9007199254740991,9007199254740992,-9007199254740993]')).toEqual([
      9007199254740991,
      9007199254740992n,
      -9007199254740993n,
    ]);
  });

  it('parses floats, escapes and literals like JSON.parse', () => {
    const text = '{"a":1.5e3,"b":"x\\u003cy\\n\\"","c":[true,false,null],"d":-0.25,"e":12345678901234567.5}';
    expect(parseGoJson(text)).toEqual(JSON.parse(text));
  });

  it('decodes an unpaired surrogate escape as U+FFFD, as Go does', () => {
    expect(parseGoJson('"a\\ud800b"')).toBe('a\ufffdb');
    expect(parseGoJson('"\\ud83d\\ude00"')).toBe('\u{1f600}');
  });

  it('keeps a "__proto__" key as data', () => {
    const v = parseGoJson('{"__proto__":{"x":1},"n":12345678901234567890}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'n']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });

  it.each([
    ['{"a":1,}', 7],
    ['[1 2]', 3],
    ['{"a":12345678901234567', 22],
    ['"abc', 4],
    ['{"a":tru}', 5],
  ])('rejects %j with a SyntaxError naming position %d', (text, pos) => {
    expect(() => parseGoJson(text)).toThrow(SyntaxError);
    expect(() => parseGoJson(text)).toThrow(`position ${pos}`);
  });
});

describe('encodeGoJson', () => {
  it('round-trips the calico.md block example byte for byte', () => {
    expect(encodeGoJson(parseGoJson(BLOCK), allocationBlockSchema)).toBe(BLOCK);
  });

  it('round-trips the calico.md IPPool example byte for byte', () => {
    expect(encodeGoJson(parseGoJson(POOL), ipPool)).toBe(POOL);
  });

  it('sorts map keys as strings ("10" before "2")', () => {
    const v = { '2': 5n, '10': 7, '0': 1780308000000000000n, '1': 1 };
    expect(encodeGoJson(v, S.map(S.int()))).toBe('{"0":1780308000000000000,"1":1,"10":7,"2":5}');
  });

  it('writes a fresh block with null attributes and an empty map', () => {
    const fresh = {
      cidr: '10.0.1.0/30',
      affinity: 'host:node1',
      affinity_claim_time: '2026-06-01T10:00:00Z',
      allocations: [null, null, null, null],
      unallocated: [0, 1, 2, 3],
      attributes: null,
      sequenceNumber: 1780308000000000000n,
      sequenceNumberForAllocation: {},
      deleted: false,
    };
    expect(encodeGoJson(fresh, allocationBlockSchema)).toBe(
      '{"cidr":"10.0.1.0/30","affinity":"host:node1","affinity_claim_time":"2026-06-01T10:00:00Z",' +
        '"allocations":[null,null,null,null],"unallocated":[0,1,2,3],"attributes":null,' +
        '"sequenceNumber":1780308000000000000,"sequenceNumberForAllocation":{},"deleted":false}',
    );
  });

  it('writes a missing affinity as null, never omitted', () => {
    const orphan = parseGoJson(BLOCK.replace('"host:node1"', 'null'));
    expect(encodeGoJson(orphan, allocationBlockSchema)).toContain('"affinity":null,"allocations"');
  });

  it('applies omitempty like Go', () => {
    expect(encodeGoJson({ auto_allocate_blocks: true }, ipamConfigSchema)).toBe(
      '{"auto_allocate_blocks":true}',
    );
    expect(encodeGoJson({ strict_affinity: false, maxBlocksPerHost: 0 }, ipamConfigSchema)).toBe('{}');
    expect(
      encodeGoJson(
        { strict_affinity: true, auto_allocate_blocks: true, kubeVirtVMAddressPersistence: 'Enabled' },
        ipamConfigSchema,
      ),
    ).toBe('{"strict_affinity":true,"auto_allocate_blocks":true,"kubeVirtVMAddressPersistence":"Enabled"}');
    // Pointers to zero values are kept; nil pointers, empty maps and slices dropped.
    const s = S.struct([
      { name: 'p', schema: S.bool({ pointer: true }), omitempty: true },
      { name: 'q', schema: S.string({ pointer: true }), omitempty: true },
      { name: 'm', schema: S.map(S.string()), omitempty: true },
      { name: 'l', schema: S.slice(S.string()), omitempty: true },
      { name: 'st', schema: S.struct([{ name: 'x', schema: S.int() }]), omitempty: true },
      { name: 'sp', schema: S.struct([], { pointer: true }), omitempty: true },
    ]);
    expect(encodeGoJson({ p: false, q: '', m: {}, l: [] }, s)).toBe('{"p":false,"q":"","st":{"x":0}}');
    expect(encodeGoJson({ p: null, sp: {} }, s)).toBe('{"st":{"x":0},"sp":{}}');
  });

  it('writes nil slices and maps as null when not omitempty', () => {
    const s = S.struct([
      { name: 'l', schema: S.slice(S.int()) },
      { name: 'm', schema: S.map(S.int()) },
    ]);
    expect(encodeGoJson({}, s)).toBe('{"l":null,"m":null}');
    expect(encodeGoJson({ l: [], m: {} }, s)).toBe('{"l":[],"m":{}}');
  });

  it('keeps unknown fields after the known ones, in their original order', () => {
    const newer =
      '{"cidr":"10.0.1.0/30","futureField":{"b":1,"a":[1,2.5,"x"]},"affinity":null,"allocations":[null],' +
      '"unallocated":[0],"attributes":[{"handle_id":"h","releasedAt":"2026-06-01T10:00:00Z"}],' +
      '"sequenceNumber":1,"sequenceNumberForAllocation":{},"deleted":false,"zzz":12345678901234567890}';
    expect(encodeGoJson(parseGoJson(newer), allocationBlockSchema)).toBe(
      '{"cidr":"10.0.1.0/30","affinity":null,"allocations":[null],"unallocated":[0],' +
        '"attributes":[{"handle_id":"h","releasedAt":"2026-06-01T10:00:00Z"}],"sequenceNumber":1,' +
        '"sequenceNumberForAllocation":{},"deleted":false,"futureField":{"b":1,"a":[1,2.5,"x"]},' +
        '"zzz":12345678901234567890}',
    );
  });

  it('sorts unknown objects with integer-like keys as a Go map would', () => {
    expect(encodeGoJson({ x: { '2': 1, '10': 2, '1': 3 } }, S.struct([]))).toBe('{"x":{"1":3,"10":2,"2":1}}');
  });

  it('handles the handle value', () => {
    const h = '{"block":{"10.0.1.0/30":1,"10.0.0.128/26":2},"deleted":false}';
    expect(encodeGoJson(parseGoJson(h), ipamHandleSchema)).toBe(
      '{"block":{"10.0.0.128/26":2,"10.0.1.0/30":1},"deleted":false}',
    );
  });

  it('rejects values that do not fit the schema, naming the path', () => {
    expect(() => encodeGoJson({ cidr: 5 }, allocationBlockSchema)).toThrow(
      '$.cidr must be a string, got number',
    );
    expect(() => encodeGoJson({ unallocated: [1.5] }, allocationBlockSchema)).toThrow('$.unallocated[0]');
  });
});

describe('Go string escaping', () => {
  it.each([
    ['a && b', '"a \\u0026\\u0026 b"'],
    ['<x>', '"\\u003cx\\u003e"'],
    ['q"b\\', '"q\\"b\\\\"'],
    ['\b\f\n\r\t', '"\\b\\f\\n\\r\\t"'],
    ['\u0000\u0001\u001f\u007f', '"\\u0000\\u0001\\u001f\u007f"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['é€😀/', '"é€😀/"'],
    ['bad\ud800x\udc00', '"bad\\ufffdx\\ufffd"'],
  ])('%j -> %s', (input, expected) => {
    expect(quoteGoString(input)).toBe(expected);
  });

  it('escapes keys of maps and unknown fields too', () => {
    expect(encodeGoJson({ 'a<b': 'c&d' }, S.map(S.string()))).toBe('{"a\\u003cb":"c\\u0026d"}');
  });
});

describe('Go float formatting', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1.5, '1.5'],
    [100, '100'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [123456789e20, '1.23456789e+28'],
    [0.000001, '0.000001'],
    [0.0000001, '1e-7'],
    [1.5e-10, '1.5e-10'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('%d -> %s', (n, text) => {
    expect(formatJSONFloat(n)).toBe(text);
  });

  it('refuses NaN and infinities like Go', () => {
    expect(() => formatJSONFloat(Number.NaN)).toThrow('unsupported value');
  });
});

describe('MarshalIndent layout', () => {
  it('puts one element per line and keeps empty containers on one line', () => {
    const v = { cidr: '10.0.0.0/30', m: {}, l: [], a: [1, 2], o: { k: 'v' } };
    const s = S.struct([
      { name: 'cidr', schema: S.string() },
      { name: 'm', schema: S.map(S.int()) },
      { name: 'l', schema: S.slice(S.int()) },
      { name: 'a', schema: S.slice(S.int()) },
      { name: 'o', schema: S.map(S.string()) },
      { name: 'e', schema: S.struct([]) },
    ]);
    expect(encodeGoJson(v, s, { indent: '  ' })).toBe(
      '{\n  "cidr": "10.0.0.0/30",\n  "m": {},\n  "l": [],\n  "a": [\n    1,\n    2\n  ],\n' +
        '  "o": {\n    "k": "v"\n  },\n  "e": {}\n}',
    );
  });

  it('indents the IPPool like calicoctl get -o json (struct order)', () => {
    const out = encodeGoJson(parseGoJson(POOL), ipPool, { indent: '  ' });
    expect(out.split('\n').slice(0, 8)).toEqual([
      '{',
      '  "kind": "IPPool",',
      '  "apiVersion": "projectcalico.org/v3",',
      '  "metadata": {',
      '    "name": "default-ipv4-ippool",',
      '    "uid": "3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21",',
      '    "creationTimestamp": "2026-06-01T10:00:00Z"',
      '  },',
    ]);
    expect(JSON.parse(out)).toEqual(JSON.parse(POOL));
  });
});
