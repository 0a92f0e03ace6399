/**
 * node status against a real BIRD 2 daemon, which carries IPv4 and IPv6 peers on one socket and
 * prints a capitalised table heading that calicoctl rejects.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { BIRD2, BirdLab, baseConfig, bgpProtocol, type Daemon } from '../../helpers/bird-lab.js';
import { runCli } from '../../helpers/cli.js';
import { tableAfter } from './table.js';

const AS = 64512;
let lab: BirdLab;
let local: Daemon;

beforeAll(async () => {
  lab = new BirdLab();
  const me = lab.addNode(1);
  const n11 = lab.addNode(11);
  const n13 = lab.addNode(13);
  lab.addNode(14);
  const v6 = (p: Parameters<typeof bgpProtocol>[0]) => bgpProtocol(p, 2, 6);
  const v4 = (p: Parameters<typeof bgpProtocol>[0]) => bgpProtocol(p, 2, 4);
  local = await lab.startBird(
    me,
    BIRD2,
    'local',
    baseConfig(me.v4, 2) +
      v4({ name: 'Global_10_213_0_13', neighbor: n13.v4, as: 64999, localAs: AS }) +
      v4({
        name: 'Mesh_10_213_0_11',
        neighbor: n11.v4,
        as: AS,
        localAs: AS,
        sourceAddress: me.v4,
        passive: true,
      }) +
      v4({ name: 'Mesh_10_213_0_15', neighbor: '10.213.0.15', as: AS, localAs: AS, disabled: true }) +
      v6({
        name: 'Mesh_fd00_213__11',
        neighbor: n11.v6,
        as: AS,
        localAs: AS,
        sourceAddress: me.v6,
        passive: true,
      }) +
      v4({ name: 'Node_10_213_0_14', neighbor: '10.213.0.14', as: AS, localAs: AS }) +
      v6({ name: 'Node_fd00_213__14_port_1790', neighbor: 'fd00:213::14', port: 1790, as: AS, localAs: AS }),
  );
  await lab.startBird(
    n11,
    BIRD2,
    'n11',
    baseConfig(n11.v4, 2) +
      v4({ name: 'Mesh_10_213_0_1', neighbor: me.v4, as: AS, localAs: AS }) +
      v6({ name: 'Mesh_fd00_213__1', neighbor: me.v6, as: AS, localAs: AS }),
  );
  await lab.startBird(
    n13,
    BIRD2,
    'n13',
    baseConfig(n13.v4, 2) + v4({ name: 'Global_10_213_0_1', neighbor: me.v4, as: AS, localAs: 64513 }),
  );
  await lab.waitFor(local, (rows) =>
    ['Mesh_10_213_0_11', 'Mesh_fd00_213__11'].every(
      (n) => rows.get(n)?.state === 'up' && rows.get(n)?.info === 'Established',
    ),
  );
}, 90_000);

afterAll(async () => {
  await lab?.cleanup();
});

describe('node status against BIRD 2', () => {
  test('one socket, both tables: peers sorted into IPv4 and IPv6 by the shape of their names', async () => {
    const { stdout, stderr, code } = await runCli(['node', 'status', '--socket', local.socket]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const v4 = tableAfter(stdout, 'IPv4 BGP status');
    expect(v4.lines[1]?.startsWith('| PEER ADDRESS |     PEER TYPE     | STATE |    SINCE     |')).toBe(true);
    expect(v4.rows.map((r) => [r.address, r.type, r.state])).toEqual([
      ['10.213.0.13', 'global', 'start'],
      ['10.213.0.11', 'node-to-node mesh', 'up'],
      ['10.213.0.14', 'node specific', 'start'],
    ]);
    expect(v4.rows[1]?.info).toBe('Established');
    expect(v4.rows[1]?.since).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    const v6 = tableAfter(stdout, 'IPv6 BGP status');
    expect(v6.rows.map((r) => [r.address, r.type, r.state, r.info.split(' ')[0]])).toEqual([
      ['fd00:213::11', 'node-to-node mesh', 'up', 'Established'],
      ['fd00:213::14:port:1790', 'node specific', 'start', expect.stringMatching(/^(Connect|Active)$/)],
    ]);
    expect(stdout.endsWith('+\n\n')).toBe(true);
  });

  test('-o json', async () => {
    const { stdout, code } = await runCli(['node', 'status', '--socket', local.socket, '-o', 'json']);
    expect(code).toBe(0);
    const data = JSON.parse(stdout);
    expect(data.daemons).toEqual([
      {
        family: 'IPv4',
        status: 'ok',
        path: local.socket,
        birdVersion: '2.0.12',
        format: 'bird2',
        error: null,
      },
    ]);
    expect(
      data.peers.map((p: { protocol: string; family: string; address: string; port: number | null }) => [
        p.protocol,
        p.family,
        p.address,
        p.port,
      ]),
    ).toEqual([
      ['Global_10_213_0_13', 'IPv4', '10.213.0.13', null],
      ['Mesh_10_213_0_11', 'IPv4', '10.213.0.11', null],
      ['Mesh_10_213_0_15', 'IPv4', '10.213.0.15', null],
      ['Mesh_fd00_213__11', 'IPv6', 'fd00:213::11', null],
      ['Node_10_213_0_14', 'IPv4', '10.213.0.14', null],
      ['Node_fd00_213__14_port_1790', 'IPv6', 'fd00:213::14', 1790],
    ]);
    expect(data.peers[2]).toMatchObject({ state: 'down', info: '' });
  });

  test('node status PEER on BIRD 2 shows the local AS too', async () => {
    const { stdout, code } = await runCli([
      'node',
      'status',
      'fd00:213::11',
      '--socket',
      local.socket,
      '-o',
      'json',
    ]);
    expect(code).toBe(0);
    const [peer] = JSON.parse(stdout).peers;
    expect(peer.detail).toMatchObject({
      bgpState: 'Established',
      neighborAddress: 'fd00:213::11',
      neighborAs: AS,
      localAs: AS,
      sourceAddress: 'fd00:213::1',
      routes: { imported: expect.any(Number), exported: expect.any(Number), preferred: expect.any(Number) },
    });
  });
});
