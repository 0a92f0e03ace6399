import { describe, expect, test } from 'vitest';

import { bgpPeers, decodePeerName, parseDetail, parseProtocolTable } from '../../../src/bird/protocols.js';
import { BirdProtocolError } from '../../../src/bird/reply.js';
import { fixture, lastReply, splitReplies, table } from './fixtures.js';

const brief = (file: string, family: 4 | 6 = 4) =>
  bgpPeers(table(file), family).map((p) => [
    p.protocol,
    p.address,
    p.family,
    p.state,
    p.since,
    p.info,
    p.bgpState,
  ]);

describe('show protocols, BIRD 1.6 and BIRD 2', () => {
  test('BIRD 1.6, IPv4: Calico peers in BIRD order, other protocols and Local_Workload left out', () => {
    expect(table('bird1-show-protocols.txt').format).toBe('bird1');
    expect(brief('bird1-show-protocols.txt')).toEqual([
      ['Global_10_213_0_13', '10.213.0.13', 4, 'start', '21:10:33', 'Idle BGP Error: Bad peer AS', 'Idle'],
      ['Global_10_213_0_18', '10.213.0.18', 4, 'start', '21:06:26', 'Connect', 'Connect'],
      ['Mesh_10_213_0_11', '10.213.0.11', 4, 'up', '21:06:28', 'Established', 'Established'],
      ['Mesh_10_213_0_15', '10.213.0.15', 4, 'down', '21:06:26', '', null],
      ['Mesh_10_213_0_16', '10.213.0.16', 4, 'start', '21:06:26', 'Passive', 'Passive'],
      ['Node_10_213_0_12', '10.213.0.12', 4, 'up', '21:06:28', 'Established', 'Established'],
      [
        'Node_10_213_0_14',
        '10.213.0.14',
        4,
        'start',
        '21:06:26',
        'Active Socket: Connection refused',
        'Active',
      ],
      ['Node_10_213_0_17_port_1790', '10.213.0.17', 4, 'up', '21:06:28', 'Established', 'Established'],
      [
        'Node_10_213_0_19',
        '10.213.0.19',
        4,
        'down',
        '21:06:28',
        'Automatic shutdown: Route limit exceeded',
        null,
      ],
    ]);
  });

  test('BIRD 2, IPv4: capitalised heading accepted, same peers, since with milliseconds', () => {
    expect(table('bird2-show-protocols.txt').format).toBe('bird2');
    const peers = brief('bird2-show-protocols.txt');
    expect(peers.map((p) => p[0])).toEqual(brief('bird1-show-protocols.txt').map((p) => p[0]));
    expect(peers[0]).toEqual([
      'Global_10_213_0_13',
      '10.213.0.13',
      4,
      'start',
      '21:10:31.450',
      'Idle BGP Error: Bad peer AS',
      'Idle',
    ]);
    expect(peers[4]).toEqual([
      'Mesh_10_213_0_16',
      '10.213.0.16',
      4,
      'start',
      '21:06:27.979',
      'Passive',
      'Passive',
    ]);
  });

  test.each(['bird1-show-protocols-v6.txt', 'bird2-show-protocols-v6.txt'])(
    '%s: IPv6 names decoded',
    (file) => {
      expect(brief(file, 6).map((p) => [p[0], p[1], p[2], p[6]])).toEqual([
        ['Global_fd00_213__12', 'fd00:213::12', 6, 'Established'],
        ['Mesh_fd00_213__11', 'fd00:213::11', 6, 'Established'],
        ['Node_fd00_213__14', 'fd00:213::14', 6, 'Active'],
      ]);
    },
  );

  test('during graceful-restart recovery BIRD 1.6 shows wait, BIRD 2 up', () => {
    const states = (f: string) =>
      bgpPeers(table(f), 4)
        .filter((p) => p.bgpState === 'Established')
        .map((p) => p.state);
    expect(new Set(states('bird1-show-protocols-during-gr.txt'))).toEqual(new Set(['wait']));
    expect(new Set(states('bird2-show-protocols-during-gr.txt'))).toEqual(new Set(['up']));
  });

  test.each([
    ['bird1-timeformat-iso-short.txt', /^\d\d:\d\d:\d\d$/],
    ['bird1-timeformat-iso-long.txt', /^2026-11-22 \d\d:\d\d:\d\d$/],
    ['bird1-timeformat-old-short.txt', /^\d\d:\d\d$/],
    ['bird1-timeformat-old-long.txt', /^22-11-2026 \d\d:\d\d:\d\d$/],
    ['bird1-timeformat-T-1-F.txt', /^(2026-11-22|\d\d:\d\d:\d\d)$/], // %T if under 1 s old
    ['bird1-timeformat-s.txt', /^\d{10}$/],
    ['bird2-timeformat-iso-short.txt', /^\d\d:\d\d:\d\d$/],
    ['bird2-timeformat-iso-short-ms.txt', /^\d\d:\d\d:\d\d\.\d{3}$/],
    ['bird2-timeformat-iso-long.txt', /^2026-11-22 \d\d:\d\d:\d\d$/],
    ['bird2-timeformat-iso-long-ms.txt', /^2026-11-22 \d\d:\d\d:\d\d\.\d{3}$/],
    ['bird2-timeformat-iso-long-us.txt', /^2026-11-22 \d\d:\d\d:\d\d\.\d{6}$/],
    ['bird2-timeformat-T-1-F.txt', /^(2026-11-22|\d\d:\d\d:\d\d)$/],
  ])('%s: since parsed whole, info not polluted by the time', (file, since) => {
    const peers = bgpPeers(table(file), 4);
    expect(peers).toHaveLength(9);
    for (const p of peers) {
      expect(p.since).toMatch(since);
      expect(p.info).not.toMatch(/^\d/);
    }
    expect(peers.find((p) => p.protocol === 'Mesh_10_213_0_11')?.info).toBe('Established');
  });

  test("calicoctl's rows: INFO from the sixth field on, rows of fewer than six fields skipped", () => {
    const rows = (f: string) => bgpPeers(table(f), 4).map((p) => p.calicoctlRow);
    const plain = rows('bird1-show-protocols.txt');
    expect(plain[3]).toBeUndefined(); // Mesh_10_213_0_15, down with empty info
    expect(plain[6]).toEqual([
      '10.213.0.14',
      'node specific',
      'start',
      '21:06:26',
      'Active Socket: Connection refused',
    ]);
    expect(plain[7]?.[0]).toBe('10.213.0.17.port.1790');
    // With a since containing a space, calicoctl's SINCE is the date and INFO starts with the time.
    const long = rows('bird1-timeformat-iso-long.txt');
    expect(long.find((r) => r?.[0] === '10.213.0.11')).toEqual([
      '10.213.0.11',
      'node-to-node mesh',
      'up',
      '2026-11-22',
      '21:06:28 Established',
    ]);
    expect(long.find((r) => r?.[0] === '10.213.0.15')?.[4]).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  test('synthetic edge cases: states, port suffix, names that are not Calico peers', () => {
    const peers = bgpPeers(table('synthetic-bird1-edge-cases.txt'), 4);
    expect(peers.map((p) => p.protocol)).toEqual([
      'Mesh_192_168_122_21',
      'Mesh_192_168_122_22',
      'Mesh_192_168_122_23',
      'Mesh_192_168_122_24',
      'Node_10_0_0_1',
      'Node_10_0_0_2_port_1790',
      'Global_10_0_0_3',
      'Global_10_0_0_4',
      'Global_10_0_0_5',
      'Global_10_0_0_6',
      'Global_10_0_0_7',
    ]);
    expect(peers.find((p) => p.protocol === 'Global_10_0_0_3')).toMatchObject({
      state: 'stop',
      bgpState: 'Close',
    });
    expect(peers.find((p) => p.protocol === 'Global_10_0_0_4')).toMatchObject({
      state: 'flush',
      info: '',
      calicoctlRow: undefined,
    });
    expect(peers.find((p) => p.protocol === 'Node_10_0_0_2_port_1790')).toMatchObject({
      address: '10.0.0.2',
      port: 1790,
      since: '1795380332',
    });
    expect(bgpPeers(table('synthetic-bird1-no-bgp.txt'), 4)).toEqual([]);
  });

  test('IPv6 edge cases: compressed zeros, port suffix', () => {
    const peers = bgpPeers(table('synthetic-bird1-v6-edge-cases.txt'), 6);
    expect(peers.map((p) => [p.address, p.port, p.display, p.type])).toEqual([
      ['fd80:24e2:f998:72d7::2', null, 'fd80:24e2:f998:72d7::2', 'node-to-node mesh'],
      ['2001:db8::1', 1790, '2001:db8::1:port:1790', 'node specific'],
      ['2001::102', null, '2001::102', 'global'],
    ]);
  });
});

describe('peer names', () => {
  test('the family follows the shape of the name, so BIRD 2 can carry both on one socket', () => {
    expect(decodePeerName('Mesh_fd00_213__11', 4)).toMatchObject({
      family: 6,
      address: 'fd00:213::11',
      display: 'fd00:213::11',
    });
    expect(decodePeerName('Mesh_10_213_0_11', 6)).toMatchObject({ family: 4, address: '10.213.0.11' });
  });

  test("a name that is no address falls back to the socket's separator, as calicoctl does", () => {
    expect(decodePeerName('Node_my_peer', 4)).toMatchObject({
      family: 4,
      address: 'my.peer',
      port: null,
      display: 'my.peer',
    });
    expect(decodePeerName('Node_my_peer', 6)).toMatchObject({ family: 6, display: 'my:peer' });
  });

  test('only Global_, Node_ and Mesh_ (case-sensitive) are Calico peers', () => {
    for (const name of ['Meshd_10_0_0_8', 'mesh_10_0_0_1', 'Local_Workload_10_0_0_9', 'Mesh_', 'bgp1']) {
      expect(decodePeerName(name, 4), name).toBeUndefined();
    }
  });
});

describe('replies that are not a protocol table', () => {
  test.each([
    'bird1-err-unknown-command.txt',
    'bird1-err-not-a-protocol.txt',
    'bird1-err-no-match.txt',
    'bird2-err-unknown-name.txt',
    'bird2-err-uppercase.txt',
  ])('%s: an error reply is unusable, with BIRD text kept', (file) => {
    const reply = lastReply(file);
    expect(() => parseProtocolTable(reply)).toThrow(BirdProtocolError);
    try {
      parseProtocolTable(reply);
    } catch (err) {
      expect((err as BirdProtocolError).message).toBe('unexpected output line from BIRD');
      expect((err as BirdProtocolError).line).toMatch(/^[89]\d{3} \S/);
    }
  });

  test('an unknown heading is calicoctl\'s "unknown BIRD table output format"', () => {
    const { replies } = splitReplies(Buffer.from('2002-Name Proto Table State Since Info Extra\n0000 \n'));
    expect(() => parseProtocolTable(replies[0]!)).toThrow('unknown BIRD table output format');
  });

  test('the reply to show status is not a protocol table', () => {
    const { replies } = splitReplies(
      Buffer.from('1000-BIRD 1.6.8\n1011-Router ID is 10.213.0.1\n0013 Daemon is up and running\n'),
    );
    expect(() => parseProtocolTable(replies[0]!)).toThrow(BirdProtocolError);
  });

  test('the greeting alone has no heading', () => {
    const greeting = splitReplies(fixture('bird1-greeting.txt')).replies[0]!;
    expect(() => parseProtocolTable(greeting)).toThrow(BirdProtocolError);
  });
});

describe('show protocols all', () => {
  test('BIRD 1.6: neighbour, session, routes; no local AS', () => {
    const [peer] = bgpPeers(table('bird1-show-protocols-all-Mesh_10_213_0_11.txt'), 4);
    expect(peer?.detail).toEqual({
      description: 'Connection to BGP peer',
      bgpState: 'Established',
      neighborAddress: '10.213.0.11',
      neighborAs: 64512,
      neighborId: '10.213.0.11',
      localAs: null,
      sourceAddress: '10.213.0.1',
      lastError: null,
      holdTimer: '214/240',
      keepaliveTimer: '28/80',
      routes: { imported: 1, exported: 3, preferred: 1 },
    });
  });

  test('BIRD 2: local AS, routes from the channel block', () => {
    const [peer] = bgpPeers(table('bird2-show-protocols-all-Mesh_10_213_0_11.txt'), 4);
    expect(peer?.detail).toMatchObject({
      neighborAs: 64512,
      localAs: 64512,
      sourceAddress: '10.213.0.1',
      holdTimer: '163.432/240',
      routes: { imported: 1, exported: 3, preferred: 1 },
    });
  });

  test.each(['bird1', 'bird2'])('%s: last error of a wrong-AS peer and of a limit shutdown', (v) => {
    const [badAs] = bgpPeers(table(`${v}-show-protocols-all-Global_10_213_0_13.txt`), 4);
    expect(badAs?.detail).toMatchObject({
      bgpState: 'Idle',
      neighborAs: 64999,
      lastError: 'BGP Error: Bad peer AS',
      routes: v === 'bird1' ? { imported: 0, exported: 0, preferred: 0 } : null,
    });
    const [limited] = bgpPeers(table(`${v}-show-protocols-all-Node_10_213_0_19.txt`), 4);
    expect(limited?.detail).toMatchObject({
      bgpState: 'Down',
      lastError: 'Automatic shutdown: Route limit exceeded',
    });
  });

  test.each([
    'bird1-show-protocols-all.txt',
    'bird2-show-protocols-all.txt',
    'bird1-show-protocols-all-v6.txt',
    'bird2-show-protocols-all-v6.txt',
  ])('%s: every peer gets its own details', (file) => {
    const family = file.includes('v6') ? 6 : 4;
    const peers = bgpPeers(table(file), family);
    expect(peers.length).toBeGreaterThan(2);
    for (const p of peers) expect(p.detail?.neighborAddress, p.protocol).toBe(p.address);
  });

  test('lines that are not "key: value" are ignored', () => {
    expect(
      parseDetail(['  Channel ipv4', '    Neighbor AS:      x', '  Route change stats:     received']),
    ).toMatchObject({
      neighborAs: null,
      routes: null,
    });
  });
});
