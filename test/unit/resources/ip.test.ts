import { describe, expect, it } from 'vitest';

import { formatIP, parseIP } from '../../../src/resources/ip.js';

describe('parseIP: IPv6 with an IPv4 tail (ip-address), as Go 1.26 net.ParseIP(s).String() prints it', () => {
  // Printed by Go: undefined where ParseIP returns nil.
  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5:6:7:1.2.3.4', undefined],
    ['::ffff:1.2.3.04', undefined],
    ['::ffff:1.2.3', undefined],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
    ['::ffff:256.1.1.1', undefined],
    ['1::2::1.2.3.4', undefined],
    [':1.2.3.4', undefined],
    ['::ffff:1.2.3.4:5', undefined],
    ['fe80::1.2.3.4', 'fe80::102:304'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::1.2.3.4.5', undefined],
    ['fe80::1.2.3.4%eth0', undefined],
    ['::1.2.3.4/64', undefined],
  ])('%s', (text, go) => {
    const ip = parseIP(text);
    expect(ip === undefined ? undefined : formatIP(ip)).toBe(go);
  });
});
