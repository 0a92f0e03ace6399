import { describe, expect, it } from 'vitest';

import {
  formatFixed,
  formatG5,
  formatGeneral,
  formatPercent0,
  formatShortest,
} from '../../../src/codec/go-float.js';

// Outputs of Go's fmt.Sprintf("%.5g", float64(v)), derived from strconv's algorithm (round the
// exact binary value to 5 significant digits, ties to even; %e when exp < -4 or exp >= eprec).
const g5: [number | bigint, string][] = [
  [0, '0'],
  [1, '1'],
  [2, '2'],
  [4, '4'],
  [8, '8'],
  [16, '16'],
  [32, '32'],
  [64, '64'],
  [128, '128'],
  [256, '256'],
  [512, '512'],
  [1024, '1024'],
  [2048, '2048'],
  [4096, '4096'],
  [8192, '8192'],
  [16384, '16384'],
  [32768, '32768'],
  [65536, '65536'],
  [65531, '65531'],
  [65533, '65533'],
  [59, '59'],
  [99999, '99999'],
  [100000, '1e+05'],
  [100001, '1e+05'],
  [100004, '1e+05'],
  [100005, '1e+05'], // exact tie, 10000 is even: down (JS toPrecision says 1.0001e+5)
  [100006, '1.0001e+05'],
  [100015, '1.0002e+05'], // exact tie, 10001 is odd: up
  [100025, '1.0002e+05'], // exact tie, 10002 is even: down
  [123456, '1.2346e+05'],
  [131072, '1.3107e+05'],
  [262144, '2.6214e+05'],
  [524288, '5.2429e+05'],
  [1048576, '1.0486e+06'],
  [2097152, '2.0972e+06'],
  [4194304, '4.1943e+06'],
  [8388608, '8.3886e+06'],
  [16777216, '1.6777e+07'],
  [33554432, '3.3554e+07'],
  [67108864, '6.7109e+07'],
  [134217728, '1.3422e+08'],
  [268435456, '2.6844e+08'],
  [536870912, '5.3687e+08'],
  [1073741824, '1.0737e+09'],
  [2147483648, '2.1475e+09'],
  [4294967296, '4.295e+09'],
  [999995, '1e+06'], // exact tie, 99999|5 odd: up, carries to 1e+06
  [999994, '9.9999e+05'],
  [1000000, '1e+06'],
  [1200000, '1.2e+06'],
  [12000, '12000'],
  [1000, '1000'],
  [10, '10'],
  [0.5, '0.5'],
  [12.5, '12.5'],
  [0.0001234, '0.0001234'],
  [0.00001234, '1.234e-05'],
  [1.23456789, '1.2346'],
  [123.456, '123.46'],
  [-65536, '-65536'],
  [-100000, '-1e+05'],
  [2n ** 64n, '1.8447e+19'],
  [2n ** 64n - 7n, '1.8447e+19'],
  [2n ** 80n, '1.2089e+24'],
  [2n ** 80n - 7n, '1.2089e+24'],
  [2n ** 96n, '7.9228e+28'],
  [2n ** 112n, '5.1923e+33'],
  [2n ** 128n, '3.4028e+38'],
  [2n ** 63n, '9.2234e+18'],
  [2n ** 48n, '2.8147e+14'],
  [2n ** 53n + 1n, '9.0072e+15'],
  [1e21, '1e+21'],
  [1e100, '1e+100'],
  [5e-324, '4.9407e-324'],
  [Infinity, '+Inf'],
  [-Infinity, '-Inf'],
  [NaN, 'NaN'],
];

describe('formatG5 (Go %.5g)', () => {
  it.each(g5)('%s -> %s', (value, expected) => {
    expect(formatG5(value)).toBe(expected);
  });

  it('formats every power of two from 2^0 to 2^128 like Go', () => {
    for (let bits = 0; bits <= 128; bits++) {
      const value = 2n ** BigInt(bits);
      const text = formatG5(value);
      // Same number as the correctly rounded 5-digit value (powers of two >= 2 are never exact ties).
      expect(Number(text)).toBe(Number(Number(value).toPrecision(5)));
      if (bits <= 16) expect(text).toBe(value.toString());
      else expect(text).toMatch(/^\d(\.\d*[1-9])?e\+\d\d+$/);
    }
  });

  it('agrees with correctly rounded toPrecision(5) away from exact ties', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 300; i++) {
      const x = random() * 10 ** Math.floor(random() * 30 - 8);
      expect(Number(formatG5(x))).toBe(Number(x.toPrecision(5)));
    }
  });

  it('picks fixed notation for IP counts and exponent notation from 1e+05 on', () => {
    for (let n = 99990; n <= 100010; n++) {
      expect(formatG5(n)).toBe(n < 99999.5 ? String(n) : n <= 100005 ? '1e+05' : '1.0001e+05');
    }
  });
});

describe('formatPercent0 (Go %.f)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [0.4, '0'],
    [0.5, '0'],
    [0.6, '1'],
    [1.5, '2'],
    [2.5, '2'],
    [3.5, '4'],
    [12.5, '12'],
    [37.5, '38'],
    [62.5, '62'],
    [99.5, '100'],
    [100, '100'],
    [8, '8'],
    [92, '92'],
    [(100 * 3) / 8, '38'],
    [(100 * 5) / 8, '62'],
    [(100 * 5) / 64, '8'],
    [(100 * 59) / 64, '92'],
    [(100 * 5) / 65536, '0'],
    [(100 * 65531) / 65536, '100'],
    [(100 * 7) / 2 ** 80, '0'],
    [0.05, '0'],
    [0.49999999999999994, '0'],
    [-0.4, '-0'],
    [-2.5, '-2'],
    [1e21, '1000000000000000000000'],
    [2 ** 64, '18446744073709551616'],
  ];
  it.each(cases)('%s -> %s', (value, expected) => {
    expect(formatPercent0(value)).toBe(expected);
  });

  it('rounds every exact half to even from 0.5 to 200.5', () => {
    for (let n = 0; n <= 200; n++) {
      expect(formatPercent0(n + 0.5)).toBe(String(n % 2 === 0 ? n : n + 1));
    }
  });

  it('matches toFixed(0) away from exact halves', () => {
    for (let i = 0; i <= 100000; i += 7) {
      const x = (100 * i) / 100003;
      expect(formatPercent0(x)).toBe(x.toFixed(0));
    }
  });
});

describe('formatFixed and formatGeneral', () => {
  it('formats with decimals like Go %.2f', () => {
    expect(formatFixed(1.005, 2)).toBe('1.00'); // 1.005 is 1.00499999999999989... in binary
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(3n, 2)).toBe('3.00');
    expect(formatFixed(0.05, 1)).toBe('0.1');
  });

  it('formats with other precisions like Go %.Ng', () => {
    expect(formatGeneral(0.25, 1)).toBe('0.2');
    expect(formatGeneral(0.35, 1)).toBe('0.3'); // 0.34999999999999997...
    expect(formatGeneral(1234567, 3)).toBe('1.23e+06');
    expect(formatGeneral(100, 3)).toBe('100');
    expect(formatGeneral(1000, 3)).toBe('1e+03');
    expect(formatGeneral(1e-5, 3)).toBe('1e-05');
    expect(formatGeneral(0.0001, 3)).toBe('0.0001');
  });
});

describe('fast paths for block counts and percentages', () => {
  it('formats every integer count of up to six digits as the exact %.5g does', () => {
    for (let n = 0; n <= 200_000; n++) expect(formatG5(n)).toBe(formatGeneral(n, 5));
    expect(formatG5(-0)).toBe('-0');
  });

  it('rounds every block percentage as the exact %.f does, ties included', () => {
    for (const capacity of [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 65536, 2 ** 20, 3, 100, 100003]) {
      const step = Math.max(1, Math.floor(capacity / 4096));
      for (let used = 0; used <= capacity; used += step) {
        for (const x of [(100 * used) / capacity, (100 * (capacity - used)) / capacity]) {
          expect(formatPercent0(x)).toBe(formatFixed(x, 0));
        }
      }
    }
    for (const x of [2 ** 52 - 0.5, 2 ** 52 - 1.5, 2 ** 53, 4503599627370495.5, 1e300]) {
      expect(formatPercent0(x)).toBe(formatFixed(x, 0));
    }
  });
});

describe('formatShortest: strconv.FormatFloat(x, g, -1, 64|32), which is also fmt %v', () => {
  // [x, Go's FormatFloat(x, 'g', -1, 64) = fmt.Sprint(x), FormatFloat(x, 'g', -1, 32)], printed by Go 1.26.
  const GO: Array<[number, string, string]> = [
    [0.5, '0.5', '0.5'],
    [100000.5, '100000.5', '100000.5'],
    [123456.7, '123456.7', '123456.7'],
    [1234567.5, '1.2345675e+06', '1.2345675e+06'],
    [1e-5, '1e-05', '1e-05'],
    [0.0001, '0.0001', '0.0001'],
    [1e21, '1e+21', '1e+21'],
    [1e20, '1e+20', '1e+20'],
    [3.14159, '3.14159', '3.14159'],
    [1 / 3, '0.3333333333333333', '0.33333334'],
    [2.5e-10, '2.5e-10', '2.5e-10'],
    [-0.75, '-0.75', '-0.75'],
    [16777216.5, '1.67772165e+07', '1.6777216e+07'],
    [1e6, '1e+06', '1e+06'],
  ];
  it.each(GO)('%d', (x, g64, g32) => {
    expect(formatShortest(x)).toBe(g64);
    expect(formatShortest(x, 32)).toBe(g32);
  });
});
