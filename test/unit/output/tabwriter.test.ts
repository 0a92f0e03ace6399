import { describe, expect, it } from 'vitest';

import { renderTabwriter, tabwriterFormat, type TabwriterOptions } from '../../../src/output/tabwriter.js';

function opts(minwidth: number, tabwidth: number, padding: number, padchar: string): TabwriterOptions {
  return { minwidth, tabwidth, padding, padchar };
}

// Vectors from Go's src/text/tabwriter/tabwriter_test.go (the flags-0 cases).
const goVectors: [string, TabwriterOptions, string, string][] = [
  ['1a', opts(8, 0, 1, '.'), '', ''],
  ['2', opts(8, 0, 1, '.'), '\n\n\n', '\n\n\n'],
  ['3', opts(8, 0, 1, '.'), 'a\nb\nc', 'a\nb\nc'],
  ['4a', opts(8, 0, 1, '.'), '\t', ''],
  ['5', opts(8, 0, 1, '.'), '*\t*', '*.......*'],
  ['5b', opts(8, 0, 1, '.'), '*\t*\n', '*.......*\n'],
  ['5c', opts(8, 0, 1, '.'), '*\t*\t', '*.......*'],
  ['6', opts(8, 0, 1, '.'), '\t\n', '........\n'],
  ['7a', opts(8, 0, 1, '.'), 'a) foo', 'a) foo'],
  ['7b', opts(8, 0, 1, ' '), 'b) foo\tbar', 'b) foo  bar'],
  ['7c', opts(8, 0, 1, '.'), 'c) foo\tbar\t', 'c) foo..bar'],
  ['7d', opts(8, 0, 1, '.'), 'd) foo\tbar\n', 'd) foo..bar\n'],
  ['7e', opts(8, 0, 1, '.'), 'e) foo\tbar\t\n', 'e) foo..bar.....\n'],
  ['8', opts(8, 0, 1, '*'), 'Hello, world!\n', 'Hello, world!\n'],
  ['9a', opts(1, 0, 0, '.'), '1\t2\t3\t4\n11\t222\t3333\t44444\n', '1.2..3...4\n11222333344444\n'],
  ['9c', opts(1, 0, 0, '.'), '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1234\n11222333344444\n'],
  ['10a', opts(5, 0, 0, '.'), '1\t2\t3\t4\n', '1....2....3....4\n'],
  ['10b', opts(5, 0, 0, '.'), '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
  [
    '11',
    opts(8, 0, 1, '.'),
    '本\tb\tc\naa\t\u672c\u672c\u672c\tcccc\tddddd\naaa\tbbbb\n',
    '本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n',
  ],
  ['12b', opts(2, 0, 0, ' '), 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a  b  c\naa bbbcccc\naaabbbb\n'],
  [
    '12c',
    opts(8, 0, 1, '_'),
    'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n',
    'a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n',
  ],
  [
    '13a',
    opts(4, 0, 1, '-'),
    '4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n',
  ],
  [
    '13b',
    opts(4, 0, 3, '.'),
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n',
  ],
  ['15a', opts(4, 0, 0, '.'), 'a\t\tb', 'a.......b'],
  [
    '16a',
    opts(100, 100, 0, '\t'),
    'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
    'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
  ],
];

describe('tabwriterFormat (Go text/tabwriter test vectors)', () => {
  it.each(goVectors)('%s', (_name, options, src, expected) => {
    expect(tabwriterFormat(src, options)).toBe(expected);
  });
});

describe('renderTabwriter (calicoctl get tables)', () => {
  it('prints calicoctl get ippool ippool-name1 byte for byte (calico.md 5.6, 8 row 3)', () => {
    const text = renderTabwriter([
      ['NAME', 'CIDR', 'SELECTOR'],
      ['ippool-name1', '10.0.1.0/24', "foo == 'bar'"],
    ]);
    expect(text).toBe(
      "NAME           CIDR          SELECTOR       \nippool-name1   10.0.1.0/24   foo == 'bar'   \n",
    );
  });

  it('prints the -o wide columns of calico.md 8 row 4 (trailing spaces trimmed by the ST harness)', () => {
    const text = renderTabwriter([
      [
        'NAME',
        'CIDR',
        'NAT',
        'IPIPMODE',
        'VXLANMODE',
        'DISABLED',
        'DISABLEBGPEXPORT',
        'SELECTOR',
        'ASSIGNMENTMODE',
      ],
      [
        'ippool-name1',
        '10.0.1.0/24',
        'false',
        'Always',
        'Never',
        'false',
        'false',
        "foo == 'bar'",
        'Automatic',
      ],
    ]);
    const [header, row, rest] = text.split('\n');
    expect(header!.trimEnd()).toBe(
      'NAME           CIDR          NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR       ASSIGNMENTMODE',
    );
    expect(row!.trimEnd()).toBe(
      "ippool-name1   10.0.1.0/24   false   Always     Never       false      false              foo == 'bar'   Automatic",
    );
    expect(header!.endsWith('ASSIGNMENTMODE   ')).toBe(true);
    expect(row!.endsWith('Automatic        ')).toBe(true);
    expect(rest).toBe('');
  });

  it('pads short columns to the minimum width of 5', () => {
    expect(
      renderTabwriter([
        ['A', 'B'],
        ['x', 'yy'],
      ]),
    ).toBe('A    B    \nx    yy   \n');
  });

  it('counts width in code points, not UTF-16 units or bytes', () => {
    expect(renderTabwriter([['NAME'], ['😀é']])).toBe('NAME   \n😀é     \n');
  });

  it('keeps empty cells as padding', () => {
    expect(
      renderTabwriter([
        ['NAME', 'ASN', 'IPV4'],
        ['node1', '', ''],
      ]),
    ).toBe('NAME    ASN   IPV4   \nnode1                \n');
  });

  it('returns nothing for no rows', () => {
    expect(renderTabwriter([])).toBe('');
  });

  it('ends a column block at a line with fewer cells', () => {
    // The one-cell line in the middle flushes: the two tables are aligned independently.
    const text = tabwriterFormat('aaaaaaaaaa\tb\t\nseparator\nc\td\t\n');
    expect(text).toBe('aaaaaaaaaa   b    \nseparator\nc    d    \n');
  });
});
