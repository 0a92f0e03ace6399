/**
 * The export's record lines read from their bytes (src/datastore/export-record.ts) against
 * JSON.parse, which the import used before and still uses for any line the decoder declines: on the
 * lines the export writes for real captured Calico keys and values, on awkward values, and on 2,000
 * random edits of a line. A line is either decoded to exactly the UTF-8 bytes of what JSON.parse
 * makes of it, or declined; a line in the export's own shape is never declined. And the other way:
 * a line written from a value's bytes is byte for byte what JSON.stringify writes, or not written.
 */
import { describe, expect, it } from 'vitest';

import { ExportLineWriter, ExportRecordDecoder } from '../../../src/datastore/export-record.js';
import { ALL_KEYS, WORKED_EXAMPLE_BLOCK } from '../ipam/fixtures.js';

/** The line the export writes for a key and value (transfer.ts exportTo). */
const exportLine = (key: string, value: string): string =>
  '{"key":' + JSON.stringify(key) + ',"value":' + JSON.stringify(value) + '}';

/** What the import made of a line before: the UTF-8 bytes of JSON.parse's key, and its value, or undefined. */
function parsed(line: Buffer): { key: Buffer; value: string } | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  const { key, value } = obj as { key: unknown; value: unknown };
  if (typeof key !== 'string' || typeof value !== 'string') return undefined;
  return { key: Buffer.from(key, 'utf8'), value };
}

/** Decodes line from the middle of a larger buffer (a piece of the file holds many lines). */
function decode(decoder: ExportRecordDecoder, line: Buffer): { key: Buffer; value: string } | undefined {
  const piece = Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]);
  if (!decoder.decode(piece, 3, 3 + line.length)) return undefined;
  const decoded = { key: Buffer.from(decoder.bytes.subarray(0, decoder.keyEnd)), value: decoder.value() };
  expect(decoder.size()).toBe(decoded.key.length + Buffer.byteLength(decoded.value, 'utf8'));
  return decoded;
}

const AWKWARD_VALUES = [
  '',
  'é "quoted"\n',
  '{"n":18446744073709551615}',
  'zoë ☃ 𝄞 \u2028 \u2029',
  'tab\there\r\nand \\ backslash / slash \b \f',
  '\u0000\u0001\u001f\u007f',
  '{"selector":"a \\u0026\\u0026 b","html":"\\u003cb\\u003e"}',
  'pair \ud834\udd1e, lone \ud800',
  'x'.repeat(200_000),
];

describe('ExportRecordDecoder', () => {
  it('decodes every line the export writes for real keys and values, to the bytes JSON.parse gives', () => {
    const decoder = new ExportRecordDecoder();
    const entries = [
      ...Object.entries(ALL_KEYS),
      ['/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30', WORKED_EXAMPLE_BLOCK],
      ...AWKWARD_VALUES.map((value, i) => [`/calico/resources/v3/projectcalico.org/x/${i}-é`, value]),
    ] as Array<[string, string]>;
    for (const [key, value] of entries) {
      const line = Buffer.from(exportLine(key, value), 'utf8');
      const got = decode(decoder, line);
      expect(got, exportLine(key, value).slice(0, 80)).toBeDefined();
      expect(got).toEqual(parsed(line));
      expect(decoder.key()).toBe(key);
      expect(decoder.value()).toBe(value);
    }
  });

  it('declines what is not the export shape, and lines JSON.parse reads differently', () => {
    const decoder = new ExportRecordDecoder();
    const declined = [
      '',
      '{"key":"/calico/a","value":"v"} ',
      ' {"key":"/calico/a","value":"v"}',
      '{"key": "/calico/a","value":"v"}',
      '{"value":"v","key":"/calico/a"}',
      '{"key":"/calico/a","value":"v","extra":1}',
      '{"key":"/calico/a","value":{"not":"a string"}}',
      '{"key":"/calico/a","value":"v"}\r',
      '{"key":"/calico/a","value":"unterminated}',
      '{"key":"/calico/a","value":"raw\ttab"}',
      '{"key":"/calico/a","value":"bad escape \\x"}',
      '{"key":"/calico/a","value":"short \\u12"}',
      '{"key":"/calico/a","value":"not hex \\u12g4"}',
      '{"key":"/calico/a-\\ud834\\udd1e","value":"a surrogate escape in the key"}',
      '{"key":"/calico/a","value":"v"',
    ].map((text) => Buffer.from(text, 'utf8'));
    // Bytes that are not UTF-8: JSON.parse of the text made of them holds U+FFFD instead.
    declined.push(
      Buffer.concat([
        Buffer.from('{"key":"/calico/a","value":"'),
        Buffer.from([0xff, 0xc3]),
        Buffer.from('"}'),
      ]),
    );
    for (const line of declined) expect(decode(decoder, line), line.toString('utf8')).toBeUndefined();
  });

  it('never decodes a random edit of a line to anything but what JSON.parse makes of it', () => {
    const decoder = new ExportRecordDecoder();
    const base = Buffer.from(
      exportLine('/calico/ipam/v2/handle/k8s-pod-network.é', 'a"b\\c\n☃ \\u0041'),
      'utf8',
    );
    const alphabet = Buffer.from('"\\u{}:,/0aAfF\n\t \x00\x7f', 'latin1');
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let decoded = 0;
    for (let round = 0; round < 2000; round++) {
      const line = Buffer.from(base);
      for (let edits = 1 + random(3); edits > 0; edits--) {
        line[random(line.length)] = random(4) === 0 ? random(256) : alphabet[random(alphabet.length)]!;
      }
      const got = decode(decoder, line);
      if (got === undefined) continue;
      decoded++;
      expect(got, line.toString('latin1')).toEqual(parsed(line));
    }
    // Some edits keep a valid line in the export's shape (an edit inside a string).
    expect(decoded).toBeGreaterThan(50);
  });

  it('holds a line read by JSON.parse, sized as a put stores it', () => {
    const decoder = new ExportRecordDecoder();
    decoder.set('/calico/a-é', 'lone \ud800 surrogate');
    expect(decoder.key()).toBe('/calico/a-é');
    expect(decoder.value()).toBe('lone \ud800 surrogate');
    expect(decoder.size()).toBe(Buffer.from('/calico/a-élone \ud800 surrogate', 'utf8').length);
    expect(decoder.keyStartsWith(Buffer.from('/calico/'))).toBe(true);
    expect(decoder.keyStartsWith(Buffer.from('/calico/b'))).toBe(false);
  });
});

describe('ExportLineWriter', () => {
  /** What the writer hands its sink for the records, each from its bytes or (declined) as text. */
  function written(records: Array<[string, Buffer]>, chunkBytes = 64): { text: Buffer; declined: number } {
    const chunks: Buffer[] = [];
    // The sink gets a view of a buffer written into again: it copies.
    const out = new ExportLineWriter((chunk) => chunks.push(Buffer.from(chunk)), chunkBytes);
    let declined = 0;
    for (const [key, value] of records) {
      if (!out.record(key, { buf: value, start: 0, stop: value.length, lastByte: -1 })) {
        declined++;
        out.text(exportLine(key, value.toString('utf8')) + '\n');
      }
    }
    out.flush();
    expect(out.written).toBe(chunks.reduce((n, c) => n + c.length, 0));
    return { text: Buffer.concat(chunks), declined };
  }
  const expected = (records: Array<[string, Buffer]>): Buffer =>
    Buffer.from(records.map(([k, v]) => exportLine(k, v.toString('utf8')) + '\n').join(''), 'utf8');

  it('writes what JSON.stringify writes, for real values and awkward ones, across chunks', () => {
    const records: Array<[string, Buffer]> = [
      ...Object.entries(ALL_KEYS),
      ['/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-30', WORKED_EXAMPLE_BLOCK],
      ...AWKWARD_VALUES.map((value, i) => [`/calico/x/${i}-é`, value] as [string, string]),
      ['/calico/controls', Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join('')],
    ].map(([k, v]) => [k!, Buffer.from(v!, 'utf8')]);
    const { text, declined } = written(records);
    expect(declined).toBe(0);
    expect(text).toEqual(expected(records));
  });

  it('declines bytes that are not UTF-8, which the string path writes as U+FFFD', () => {
    const records: Array<[string, Buffer]> = [
      ['/calico/a', Buffer.from([0x61, 0xff, 0x62])],
      ['/calico/b', Buffer.from([0xc3])],
      ['/calico/c', Buffer.from([0xed, 0xa0, 0x80])], // a surrogate, encoded
      ['/calico/d', Buffer.from('fine ☃', 'utf8')],
    ];
    const { text, declined } = written(records, 4);
    expect(declined).toBe(3);
    expect(text).toEqual(expected(records));
  });

  it('writes random bytes as JSON.stringify writes their text, or declines them', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const records: Array<[string, Buffer]> = Array.from({ length: 500 }, (_, i) => {
      const value = Buffer.alloc(random(300));
      // Mostly ASCII, with control characters, quotes, backslashes and some high bytes.
      for (let j = 0; j < value.length; j++) value[j] = random(8) === 0 ? random(256) : random(128);
      return [`/calico/r/${i}`, value];
    });
    const { text, declined } = written(records, 1024);
    expect(text).toEqual(expected(records));
    expect(declined).toBeGreaterThan(0);
    expect(declined).toBeLessThan(records.length);
  });
});
