import { describe, expect, it } from 'vitest';

import { toGoYaml } from '../../../src/output/yaml.js';

describe('toGoYaml: calicoctl resources', () => {
  it('prints the IPPool of calico.md 1.2 exactly', () => {
    const pool = {
      kind: 'IPPool',
      apiVersion: 'projectcalico.org/v3',
      metadata: {
        name: 'default-ipv4-ippool',
        uid: '3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21',
        resourceVersion: '1234',
        creationTimestamp: '2026-06-01T10:00:00Z',
      },
      spec: {
        cidr: '192.168.0.0/16',
        vxlanMode: 'Never',
        ipipMode: 'Always',
        natOutgoing: true,
        blockSize: 26,
        nodeSelector: 'all()',
        allowedUses: ['Workload', 'Tunnel'],
        assignmentMode: 'Automatic',
      },
    };
    expect(toGoYaml(pool)).toBe(
      [
        'apiVersion: projectcalico.org/v3',
        'kind: IPPool',
        'metadata:',
        '  creationTimestamp: "2026-06-01T10:00:00Z"',
        '  name: default-ipv4-ippool',
        '  resourceVersion: "1234"',
        '  uid: 3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21',
        'spec:',
        '  allowedUses:',
        '  - Workload',
        '  - Tunnel',
        '  assignmentMode: Automatic',
        '  blockSize: 26',
        '  cidr: 192.168.0.0/16',
        '  ipipMode: Always',
        '  natOutgoing: true',
        '  nodeSelector: all()',
        '  vxlanMode: Never',
        '',
      ].join('\n'),
    );
  });

  it('prints an empty list like calico.md 8 row 35', () => {
    const list = {
      kind: 'BGPPeerList',
      apiVersion: 'projectcalico.org/v3',
      metadata: { resourceVersion: '17' },
      items: [],
    };
    expect(toGoYaml(list)).toBe(
      'apiVersion: projectcalico.org/v3\nitems: []\nkind: BGPPeerList\nmetadata:\n  resourceVersion: "17"\n',
    );
  });

  it('prints several objects as a sequence of mappings', () => {
    const items = [
      {
        kind: 'IPPool',
        metadata: { name: 'ippool-name1', labels: { 'projectcalico.org/tier': 'default' } },
        spec: { nodeSelector: "foo == 'bar'" },
      },
      {
        kind: 'IPPool',
        metadata: { name: 'ippool-name2' },
        spec: { cidr: 'fed0:8001::/64', disabled: false },
      },
    ];
    expect(toGoYaml(items)).toBe(
      [
        '- kind: IPPool',
        '  metadata:',
        '    labels:',
        '      projectcalico.org/tier: default',
        '    name: ippool-name1',
        '  spec:',
        "    nodeSelector: foo == 'bar'",
        '- kind: IPPool',
        '  metadata:',
        '    name: ippool-name2',
        '  spec:',
        '    cidr: fed0:8001::/64',
        '    disabled: false',
        '',
      ].join('\n'),
    );
  });

  it('keeps nested sequences and sequences of mappings at go-yaml indents', () => {
    expect(toGoYaml({ v: ['A', 1, { B: [2, 3] }] })).toBe('v:\n- A\n- 1\n- B:\n  - 2\n  - 3\n');
    expect(toGoYaml([['a', 'b'], []])).toBe('- - a\n  - b\n- []\n');
    expect(toGoYaml({ a: { b: {} }, c: [] })).toBe('a:\n  b: {}\nc: []\n');
    expect(toGoYaml({})).toBe('{}\n');
    expect(toGoYaml([])).toBe('[]\n');
  });
});

// From go-yaml v2's encode_test.go (marshalTests) for the value types that JSON can produce.
const goYamlMarshalTests: [unknown, string][] = [
  [null, 'null\n'],
  [{ v: 'hi' }, 'v: hi\n'],
  [{ v: 'true' }, 'v: "true"\n'],
  [{ v: 'false' }, 'v: "false"\n'],
  [{ v: true }, 'v: true\n'],
  [{ v: false }, 'v: false\n'],
  [{ v: 10 }, 'v: 10\n'],
  [{ v: -10 }, 'v: -10\n'],
  [{ v: 4294967296 }, 'v: 4294967296\n'],
  [{ v: '10' }, 'v: "10"\n'],
  [{ v: 0.1 }, 'v: 0.1\n'],
  [{ v: -0.1 }, 'v: -0.1\n'],
  [{ v: null }, 'v: null\n'],
  [{ v: '' }, 'v: ""\n'],
  [{ v: ['A', 'B'] }, 'v:\n- A\n- B\n'],
  [{ v: ['A', 'B\nC'] }, 'v:\n- A\n- |-\n  B\n  C\n'],
  [{ a: { b: 'c' } }, 'a:\n  b: c\n'],
  [{ a: '-' }, "a: '-'\n"],
  [123, '123\n'],
  [{ a: '<foo>' }, 'a: <foo>\n'],
  [{ a: '1:1' }, 'a: "1:1"\n'],
  [{ a: '\x00' }, 'a: "\\0"\n'],
  [{ a: '你好' }, 'a: 你好\n'],
  [{ a: '2015-02-24T18:19:39Z' }, 'a: "2015-02-24T18:19:39Z"\n'],
  [{ a: 'b: c' }, "a: 'b: c'\n"],
  [{ a: 'Hello #comment' }, "a: 'Hello #comment'\n"],
  [{ a: '你好 #comment' }, "a: '你好 #comment'\n"],
  [{ a: 100.5 }, 'a: 100.5\n'],
  [{ a: 'bogus' }, 'a: bogus\n'],
];

describe('toGoYaml: go-yaml v2 test vectors', () => {
  it.each(goYamlMarshalTests)('%j', (value, expected) => {
    expect(toGoYaml(value)).toBe(expected);
  });

  it('wraps long scalars at column 80 like TestLineWrapping', () => {
    const v = {
      a: 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 ',
    };
    expect(toGoYaml(v)).toBe(
      "a: 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 abcdefghijklmnopqrstuvwxyz\n" +
        "  ABCDEFGHIJKLMNOPQRSTUVWXYZ 1234567890 '\n",
    );
  });
});

describe('toGoYaml: string styles', () => {
  const doubleQuoted = [
    ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF'],
    ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', '~', 'null', 'Null', 'NULL', ''],
    ...['.nan', '.NaN', '.inf', '-.inf', '+.Inf'],
    ...[
      '0',
      '123',
      '-1',
      '+1',
      '0x1F',
      '0o17',
      '017',
      '0b101',
      '-0b101',
      '1_000',
      '08',
      '1.5',
      '.5',
      '1e3',
      '-1.5e-3',
    ],
    ...['1.', '18446744073709551615', '18446744073709551616', '-9223372036854775809'],
    ...[
      '2026-06-01T10:00:00Z',
      '2026-06-01',
      '2026-6-1',
      '2026-06-01t10:00:00+02:00',
      '2026-06-01 10:00:00.5',
    ],
    ...['2024-02-29', '12:30', '1:20:30', '-1:20', '190:20:30.15'],
  ];
  it.each(doubleQuoted)('%j is double-quoted because it would read back as another type', (s) => {
    expect(toGoYaml({ k: s })).toBe(`k: "${s}"\n`);
  });

  const plain = [
    'all()',
    "foo == 'bar'",
    'has(x) && y == "z"',
    '192.168.0.0/16',
    'fd5f:abcd:64::/48',
    '3f9f1a7e-2c1b-4c55-9d1e-0b8c2a6f4e21',
    'Yess',
    'nil',
    'NaN',
    '.5.5',
    '1e400',
    '0x1FFFFFFFFFFFFFFFFF',
    '2023-02-29',
    '2026-13-01',
    '2026-06-01T25:00:00Z',
    '12:60',
    '<<',
    'a:b',
    'a#b',
    '\u00a0x',
    '-a',
    '?a',
    ':a',
    'é',
    '1.2.3.4',
    'v3.32.1',
    'inf',
    '+inf',
  ];
  it.each(plain)('%j stays plain', (s) => {
    expect(toGoYaml({ k: s })).toBe(`k: ${s}\n`);
  });

  const singleQuoted: [string, string][] = [
    ['-', "'-'"],
    ['- a', "'- a'"],
    ['a: ', "'a: '"],
    [' leading', "' leading'"],
    ['trailing ', "'trailing '"],
    ['#x', "'#x'"],
    ['*star', "'*star'"],
    ['&anchor', "'&anchor'"],
    ['!tag', "'!tag'"],
    ['|pipe', "'|pipe'"],
    ['>gt', "'>gt'"],
    ['%pct', "'%pct'"],
    ['@at', "'@at'"],
    ['`tick', "'`tick'"],
    ['{a}', "'{a}'"],
    ['[a]', "'[a]'"],
    [',a', "',a'"],
    ['---', "'---'"],
    ['...x', "'...x'"],
    ["'quoted'", "'''quoted'''"],
    ['"dq"', `'"dq"'`],
    ['? a', "'? a'"],
    ['a: b', "'a: b'"],
    ['a #b', "'a #b'"],
  ];
  it.each(singleQuoted)('%j is single-quoted', (s, expected) => {
    expect(toGoYaml({ k: s })).toBe(`k: ${expected}\n`);
  });

  const escaped: [string, string][] = [
    ['a\tb', '"a\\tb"'],
    ['\u0007', '"\\a"'],
    ['\x7f', '"\\x7F"'],
    ['\u0085', '"\\N"'],
    ['😀', '"\\U0001F600"'],
    ['\ufeffab', '"\\uFEFF\\x61\\x62"'],
    ['a\r', '"a\\r"'],
    ['back\\slash\t', '"back\\\\slash\\t"'],
    ['q"\t', '"q\\"\\t"'],
  ];
  it.each(escaped)('%j is double-quoted with escapes', (s, expected) => {
    expect(toGoYaml({ k: s })).toBe(`k: ${expected}\n`);
  });

  it('uses literal style for multi-line strings with the right chomping', () => {
    expect(toGoYaml({ k: 'a\nb' })).toBe('k: |-\n  a\n  b\n');
    expect(toGoYaml({ k: 'a\nb\n' })).toBe('k: |\n  a\n  b\n');
    expect(toGoYaml({ k: 'a\nb\n', z: 1 })).toBe('k: |\n  a\n  b\nz: 1\n');
    expect(toGoYaml({ k: 'a\n\n' })).toBe('k: |+\n  a\n\n');
    expect(toGoYaml({ k: '\n' })).toBe('k: |2+\n\n');
    expect(toGoYaml({ k: ' a\nb' })).toBe('k: |2-\n   a\n  b\n');
    expect(toGoYaml({ k: 'a\n\nb' })).toBe('k: |-\n  a\n\n  b\n');
    expect(toGoYaml({ m: { k: 'x\ny' } })).toBe('m:\n  k: |-\n    x\n    y\n');
    expect(toGoYaml(['x\ny'])).toBe('- |-\n  x\n  y\n');
  });

  it('falls back to double quotes for multi-line strings literal style cannot hold', () => {
    expect(toGoYaml({ k: 'a \nb' })).toBe('k: "a \\nb"\n');
    expect(toGoYaml({ k: 'a\nb ' })).toBe('k: "a\\nb "\n');
    expect(toGoYaml({ k: 'a\n\tb' })).toBe('k: "a\\n\\tb"\n');
  });

  it('folds long plain strings at the first space past column 80', () => {
    const value = Array(20).fill('abcd').join(' ');
    expect(toGoYaml({ description: value })).toBe(
      `description: ${Array(14).fill('abcd').join(' ')}\n  ${Array(6).fill('abcd').join(' ')}\n`,
    );
    const nested = toGoYaml({ metadata: { annotations: { note: value } } });
    const lines = nested.split('\n');
    expect(lines[2]).toBe(`    note: ${Array(15).fill('abcd').join(' ')}`);
    expect(lines[3]).toBe(`      ${Array(5).fill('abcd').join(' ')}`);
  });

  it('never breaks a long word, and keeps runs of spaces on the line', () => {
    const word = 'x'.repeat(120);
    expect(toGoYaml({ k: `${word} y` })).toBe(`k: ${word}\n  y\n`);
    expect(toGoYaml({ k: `${word}  y` })).toBe(`k: ${word}  y\n`);
  });

  it('folds double-quoted strings and escapes a following space', () => {
    const value = 'a\t' + Array(20).fill('abcd').join(' ');
    const out = toGoYaml({ k: value });
    // "k: " + '"' + "a\t" is 7 columns; words end at 7 + 5n - 1.
    expect(out).toBe(`k: "a\\t${Array(15).fill('abcd').join(' ')}\n  ${Array(5).fill('abcd').join(' ')}"\n`);
    const twoSpaces = 'a\t' + 'b'.repeat(80) + '  c';
    expect(toGoYaml({ k: twoSpaces })).toBe(`k: "a\\t${'b'.repeat(80)}\n  \\ c"\n`);
  });

  it('writes keys over 128 bytes as complex keys and never folds simple keys', () => {
    const longKey = 'k'.repeat(129);
    expect(toGoYaml({ [longKey]: 'v' })).toBe(`? ${longKey}\n: v\n`);
    const spacedKey = Array(25).fill('abcd').join(' ');
    expect(toGoYaml({ [spacedKey]: 'v' })).toBe(`${spacedKey}: v\n`);
    expect(toGoYaml({ 'a\nb': 'v' })).toBe('? |-\n  a\n  b\n: v\n');
    expect(toGoYaml({ '': 'v', yes: 'no' })).toBe('"": v\n"yes": "no"\n');
  });
});

describe('toGoYaml: key order (go-yaml sorter)', () => {
  it('sorts letters by code point and after non-letters', () => {
    const out = toGoYaml({ b: 1, a: 1, B: 1, _x: 1, 'a-b': 1, ab: 1, 'a{': 1 });
    expect(out).toBe('_x: 1\nB: 1\na: 1\na-b: 1\na{: 1\nab: 1\nb: 1\n');
  });

  it('compares digit runs as numbers', () => {
    const out = toGoYaml({ item10: 1, item9: 1, item1: 1, item09: 1, 'a.2': 1, 'a.10': 1, x: 1 });
    expect(out).toBe('a.2: 1\na.10: 1\nitem1: 1\nitem9: 1\nitem09: 1\nitem10: 1\nx: 1\n');
  });
});

describe('toGoYaml: numbers', () => {
  const cases: [number | bigint, string][] = [
    [26, '26'],
    [0, '0'],
    [-0, '0'],
    [2 ** 53, '9007199254740992'],
    [0.5, '0.5'],
    [1234.5, '1234.5'],
    [123456.7, '123456.7'],
    [1234567.5, '1.2345675e+06'],
    [1e-7, '1e-07'],
    [0.0001, '0.0001'],
    [0.00001234, '1.234e-05'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [2n ** 63n - 1n, '9223372036854775807'],
    [2n ** 63n, '9223372036854775808'],
    [2n ** 64n - 1n, '18446744073709551615'],
    [2n ** 64n, '1.8446744073709552e+19'],
    [-(2n ** 63n), '-9223372036854775808'],
    [-(2n ** 63n) - 1n, '-9.223372036854776e+18'],
    [2n ** 80n, '1.2089258196146292e+24'],
  ];
  it.each(cases)('%s -> %s', (value, expected) => {
    expect(toGoYaml({ num: value })).toBe(`num: ${expected}\n`);
  });

  it('rejects numbers JSON cannot hold', () => {
    expect(() => toGoYaml({ n: NaN })).toThrow(/NaN/);
    expect(() => toGoYaml({ n: Infinity })).toThrow(/Infinity/);
  });

  it('drops undefined properties and writes undefined array items as null, like JSON', () => {
    expect(toGoYaml({ a: undefined, b: [undefined] })).toBe('b:\n- null\n');
  });
});
