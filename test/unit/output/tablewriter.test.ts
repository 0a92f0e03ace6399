import { stripVTControlCharacters } from 'node:util';

import { describe, expect, test } from 'vitest';

import { displayWidth, renderTable, title, wrapCell, wrapString } from '../../../src/output/tablewriter.js';

// Expected bytes: calicoctl output quoted in the reference notes (calico.md §3.1 and §4) and
// test/fixtures/bird/calicoctl-table-*.txt (covered end to end in test/unit/bird/render.test.ts).

describe('renderTable', () => {
  test('ipam show example: centred headers, numbers right-aligned, other cells left-aligned', () => {
    const out = renderTable(
      ['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'],
      [['IP Pool', '192.168.0.0/16', '65536', '3 (0%)', '65533 (100%)']],
    );
    expect(out).toBe(
      [
        '+----------+----------------+-----------+------------+--------------+',
        '| GROUPING |      CIDR      | IPS TOTAL | IPS IN USE |   IPS FREE   |',
        '+----------+----------------+-----------+------------+--------------+',
        '| IP Pool  | 192.168.0.0/16 |     65536 | 3 (0%)     | 65533 (100%) |',
        '+----------+----------------+-----------+------------+--------------+',
        '',
      ].join('\n'),
    );
  });

  test('node status example: headers upper-cased, odd space on the right', () => {
    const out = renderTable(
      ['Peer address', 'Peer type', 'State', 'Since', 'Info'],
      [['172.17.8.102', 'node-to-node mesh', 'up', '2016-11-21', 'Established']],
    );
    expect(out).toBe(
      [
        '+--------------+-------------------+-------+------------+-------------+',
        '| PEER ADDRESS |     PEER TYPE     | STATE |   SINCE    |    INFO     |',
        '+--------------+-------------------+-------+------------+-------------+',
        '| 172.17.8.102 | node-to-node mesh | up    | 2016-11-21 | Established |',
        '+--------------+-------------------+-------+------------+-------------+',
        '',
      ].join('\n'),
    );
  });

  test('wrapped cells add lines, blank in the other columns, no separators between rows', () => {
    const out = renderTable(
      ['Peer address', 'Info'],
      [
        ['10.213.0.14', 'Active Socket: Connection refused'],
        ['10.213.0.11', 'Established'],
      ],
    );
    expect(out).toBe(
      [
        '+--------------+--------------------------------+',
        '| PEER ADDRESS |              INFO              |',
        '+--------------+--------------------------------+',
        '| 10.213.0.14  | Active Socket: Connection      |',
        '|              | refused                        |',
        '| 10.213.0.11  | Established                    |',
        '+--------------+--------------------------------+',
        '',
      ].join('\n'),
    );
  });

  test('without rows the header separator and the bottom border are both printed', () => {
    expect(renderTable(['Name', 'Value'], [])).toBe(
      ['+------+-------+', '| NAME | VALUE |', '+------+-------+', '+------+-------+', ''].join('\n'),
    );
  });

  test('a column narrower than two characters overflows on filler lines, as tablewriter does', () => {
    const out = renderTable(['A', 'Text'], [['1', 'one two three four five six seven eight']]);
    expect(out).toBe(
      [
        '+---+--------------------------------+',
        '| A |              TEXT              |',
        '+---+--------------------------------+',
        '| 1 | one two three four five six    |',
        '|    | seven eight                    |',
        '+---+--------------------------------+',
        '',
      ].join('\n'),
    );
    const narrow = renderTable(['', 'Text'], [['', 'one two three four five six seven eight']]);
    expect(narrow.split('\n')[4]).toBe('|    | seven eight                    |');
    expect(narrow.split('\n')[0]).toBe('+--+--------------------------------+');
  });

  test('each physical line is aligned on its own: a numeric line of a wrapped cell goes right', () => {
    const out = renderTable(['Text'], [[`${'a'.repeat(25)} 12345`]]);
    expect(out.split('\n').slice(3, 5)).toEqual([
      `| ${'a'.repeat(25)}      |`,
      '|                          12345 |',
    ]);
  });

  test('colour decorates text after layout: stripping it gives the plain table', () => {
    const rows = [['10.0.0.1', 'Active Socket: Connection refused', '42']];
    const plain = renderTable(['Peer', 'Info', 'N'], rows);
    const coloured = renderTable(['Peer', 'Info', 'N'], rows, {
      colour: (_r, col, text) => `\x1b[3${col + 1}m${text}\x1b[39m`,
    });
    expect(coloured).not.toBe(plain);
    expect(coloured).toContain('\x1b[33m42\x1b[39m |');
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });
});

describe('wrapping (wrap.go)', () => {
  test('minimum raggedness, not greedy: a short first line when it makes the rest even', () => {
    const [a, b, c, d] = ['a'.repeat(15), 'b'.repeat(14), 'c'.repeat(14), 'd'.repeat(27)];
    // Greedy would give "a b" / "c" / "d" (slack 0 + 16² = 256); the optimum is 15² + 1² = 226.
    expect(wrapString(`${a} ${b} ${c} ${d}`, 30)).toEqual([a, `${b} ${c}`, d]);
    expect(wrapCell(`${a} ${b} ${c} ${d}`)).toEqual({ lines: [a, `${b} ${c}`, d], width: 30 });
  });

  test('calicoctl INFO cells', () => {
    expect(wrapCell('Automatic shutdown: Route limit exceeded').lines).toEqual([
      'Automatic shutdown: Route',
      'limit exceeded',
    ]);
    expect(wrapCell('21:10:58 Active Socket: Connection reset by peer').lines).toEqual([
      '21:10:58 Active Socket:',
      'Connection reset by peer',
    ]);
    expect(wrapCell('Established').lines).toEqual(['Established']);
  });

  test('a word longer than 30 widens the column instead of being split', () => {
    const long = 'Averyveryverylongwordthatisoverthirtycolumns';
    expect(wrapCell(`Active Socket: ${long} wide`)).toEqual({
      lines: ['Active Socket:', long, 'wide'],
      width: long.length,
    });
    // In a table too, on the drawer of one-line cells: the long word alone stays one line.
    const rows = [[long], [`Active Socket: ${long} wide`]];
    expect(renderTable(['A'], rows).split('\n').slice(3, 7)).toEqual(
      [long, 'Active Socket:', long, 'wide'].map((line) => `| ${line.padEnd(long.length)} |`),
    );
  });

  test('cells of 30 characters or fewer are never wrapped; newlines are reflowed', () => {
    expect(wrapCell('x'.repeat(30))).toEqual({ lines: ['x'.repeat(30)], width: 30 });
    expect(wrapCell('one\ntwo')).toEqual({ lines: ['one', 'two'], width: 3 });
    expect(wrapCell('')).toEqual({ lines: [''], width: 0 });
  });
});

describe('headers and widths (util.go)', () => {
  test('Title replaces _ and non-numeric dots with spaces, trims and upper-cases', () => {
    expect(title('Peer address')).toBe('PEER ADDRESS');
    expect(title('ips_in_use')).toBe('IPS IN USE');
    expect(title('v1.5')).toBe('V1.5');
    expect(title('a.b')).toBe('A B');
    expect(title('_x_')).toBe('X');
    expect(title('___')).toBe(' ');
  });

  test('the width of a header is measured before Title trims it', () => {
    expect(
      renderTable(['_id_'], [['1']])
        .split('\n')
        .slice(0, 2),
    ).toEqual(['+------+', '|  ID  |']);
  });

  test('display width ignores ANSI codes and counts wide characters twice', () => {
    expect(displayWidth('\x1b[32mup\x1b[39m')).toBe(2);
    expect(displayWidth('節點')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('drawers: cli-table3 and the direct drawer give the same bytes', () => {
  // A seeded generator (xorshift32), so a failure is reproducible.
  const random = (seed: number) => {
    let x = seed;
    return (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
  };
  const WORDS = [
    'Established', '10.65.0.0/26', '64', '29 (45%)', '35 (55%)', 'node-to-node mesh', '1,024', '-3.5',
    'Active', 'Socket:', 'Connection', 'refused', 'host:ip-172-20-0-10.ec2.internal', '節點', 'fd5f:abcd:64::/122',
    '', 'x', 'a_b', 'v1.5', '  ', 'Averyveryverylongwordthatisoverthirtycolumns', '0', '12345',
  ]; // prettier-ignore
  const table = (rand: (n: number) => number, rowCount: number) => {
    const columns = 1 + rand(6);
    const cell = (): string => {
      const words = Array.from({ length: rand(3) === 0 ? 1 + rand(9) : 1 }, () => WORDS[rand(WORDS.length)]!);
      return words.join(rand(8) === 0 ? '\n' : ' ');
    };
    const headers = Array.from({ length: columns }, cell);
    const rows = Array.from({ length: rowCount }, () => Array.from({ length: columns }, cell));
    return { headers, rows };
  };
  const colour = (row: number, col: number, text: string) => `\x1b[3${(row + col) % 8}m${text}\x1b[39m`;

  // cli-table3 is slow by design (its layout compares cells with each other): this test took 12 s
  // alone and 66 s in a full run on a busy 2-core machine, so it gets a budget of its own.
  test('on random tables, with and without colour, across cli-table3 part boundaries', () => {
    const rand = random(20261122);
    for (const rowCount of [0, 1, 2, 3, 7, 99, 100, 101, 250]) {
      for (let i = 0; i < (rowCount > 10 ? 3 : 40); i++) {
        const { headers, rows } = table(rand, rowCount);
        const direct = renderTable(headers, rows, { drawer: 'direct' });
        expect(renderTable(headers, rows, { drawer: 'cli-table3' })).toBe(direct);
        const coloured = renderTable(headers, rows, { colour, drawer: 'direct' });
        expect(renderTable(headers, rows, { colour })).toBe(coloured);
        expect(stripVTControlCharacters(coloured)).toBe(direct);
      }
    }
  }, 240_000);

  test('on random tables of one-line ASCII cells (the plain-row drawer), against the cell drawer', () => {
    const rand = random(7);
    // Up to 30 characters, or one word of any length (never wrapped).
    const PLAIN_WORDS = [...WORDS, 'ingress-nginx/ingress-nginx-controller-52jgkt56c-zpkmf'].filter(
      (w) => /^[\x20-\x7e]{0,30}$/.test(w) || /^[\x21-\x7e]{31,}$/.test(w),
    );
    expect(PLAIN_WORDS.filter((w) => w.length > 30)).toHaveLength(3);
    const identity = (_row: number, _col: number, text: string) => text;
    for (const rowCount of [0, 1, 2, 5, 101]) {
      for (let i = 0; i < 20; i++) {
        const columns = 1 + rand(6);
        const headers = Array.from({ length: columns }, () => PLAIN_WORDS[rand(PLAIN_WORDS.length)]!);
        // Some rows are short or empty, as a caller may pass them.
        const rows = Array.from({ length: rowCount }, () =>
          Array.from(
            { length: rand(5) === 0 ? rand(columns + 1) : columns },
            () => PLAIN_WORDS[rand(PLAIN_WORDS.length)]!,
          ),
        );
        const direct = renderTable(headers, rows, { drawer: 'direct' });
        expect(renderTable(headers, rows, { drawer: 'direct', colour: identity })).toBe(direct);
        if (rows.every((r) => r.length === columns)) {
          expect(renderTable(headers, rows, { drawer: 'cli-table3' })).toBe(direct);
        }
      }
    }
  });

  test('calicoctl tables of every shape this tool prints', () => {
    const cases: [string[], string[][]][] = [
      [['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'], [['IP Pool', '192.168.0.0/16', '65536', '3 (0%)', '65533 (100%)']]],
      [['Peer address', 'Info'], [['10.213.0.14', 'Active Socket: Connection refused'], ['10.213.0.11', 'Established']]],
      [['Name', 'Value'], []],
      [['A', 'Text'], [['1', 'one two three four five six seven eight']]],
      [['_id_'], [['1']]],
    ]; // prettier-ignore
    for (const [headers, rows] of cases) {
      expect(renderTable(headers, rows, { drawer: 'cli-table3' })).toBe(
        renderTable(headers, rows, { drawer: 'direct' }),
      );
    }
  });
});
