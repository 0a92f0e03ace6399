/**
 * node status against real BIRD 1.6 daemons (bird for IPv4, bird6 for IPv6) in network namespaces:
 * a local node and peers configured the way confd names them, in every state that matters.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { renderTable } from '../../../src/output/tablewriter.js';
import { BIRD1, BIRD1_V6, BirdLab, baseConfig, bgpProtocol, type Daemon } from '../../helpers/bird-lab.js';
import { runCli } from '../../helpers/cli.js';
import { tableAfter } from './table.js';

const AS = 64512;
let lab: BirdLab;
let v4: Daemon;
let v6: Daemon;

beforeAll(async () => {
  lab = new BirdLab();
  const local = lab.addNode(1);
  const [n11, n12, n13, n17] = [11, 12, 13, 17].map((id) => lab.addNode(id)) as [
    ReturnType<BirdLab['addNode']>,
    ReturnType<BirdLab['addNode']>,
    ReturnType<BirdLab['addNode']>,
    ReturnType<BirdLab['addNode']>,
  ];
  lab.addNode(14); // a host without BIRD: connections are refused
  const src = local.v4;
  v4 = await lab.startBird(
    local,
    BIRD1,
    'local',
    baseConfig(src, 1) +
      [
        { name: 'Global_10_213_0_13', neighbor: n13.v4, as: 64999, localAs: AS }, // wrong AS
        {
          name: 'Mesh_10_213_0_11',
          neighbor: n11.v4,
          as: AS,
          localAs: AS,
          sourceAddress: src,
          passive: true,
        },
        { name: 'Mesh_10_213_0_15', neighbor: '10.213.0.15', as: AS, localAs: AS, disabled: true },
        {
          name: 'Mesh_10_213_0_16',
          neighbor: '10.213.0.16',
          as: AS,
          localAs: AS,
          sourceAddress: src,
          passive: true,
        },
        { name: 'Node_10_213_0_12', neighbor: n12.v4, as: 64513, localAs: AS },
        { name: 'Node_10_213_0_14', neighbor: '10.213.0.14', as: AS, localAs: AS },
        { name: 'Node_10_213_0_17_port_1790', neighbor: n17.v4, port: 1790, as: AS, localAs: AS },
      ]
        .map((p) => bgpProtocol(p, 1))
        .join(''),
  );
  v6 = await lab.startBird(
    local,
    BIRD1_V6,
    'local6',
    baseConfig(src, 1, 6) +
      bgpProtocol(
        {
          name: 'Mesh_fd00_213__11',
          neighbor: n11.v6,
          as: AS,
          localAs: AS,
          sourceAddress: local.v6,
          passive: true,
        },
        1,
      ) +
      bgpProtocol({ name: 'Node_fd00_213__14', neighbor: 'fd00:213::14', as: AS, localAs: AS }, 1),
  );
  const back = (name: string, as: number, localAs: number, extra: object = {}) =>
    bgpProtocol({ name, neighbor: local.v4, as, localAs, ...extra }, 1);
  await lab.startBird(n11, BIRD1, 'n11', baseConfig(n11.v4, 1) + back('Mesh_10_213_0_1', AS, AS));
  await lab.startBird(
    n11,
    BIRD1_V6,
    'n11-6',
    baseConfig(n11.v4, 1, 6) +
      bgpProtocol({ name: 'Mesh_fd00_213__1', neighbor: local.v6, as: AS, localAs: AS }, 1),
  );
  await lab.startBird(n12, BIRD1, 'n12', baseConfig(n12.v4, 1) + back('Node_10_213_0_1', AS, 64513));
  await lab.startBird(n13, BIRD1, 'n13', baseConfig(n13.v4, 1) + back('Global_10_213_0_1', AS, 64513));
  await lab.startBird(
    n17,
    BIRD1,
    'n17',
    'listen bgp port 1790;\n' + baseConfig(n17.v4, 1) + back('Node_10_213_0_1', AS, AS, { passive: true }),
  );

  const up = (name: string) => (rows: Awaited<ReturnType<BirdLab['protocols']>>) =>
    rows.get(name)?.state === 'up' && rows.get(name)?.info === 'Established';
  await lab.waitFor(v4, (rows) =>
    ['Mesh_10_213_0_11', 'Node_10_213_0_12', 'Node_10_213_0_17_port_1790'].every((n) => up(n)(rows)),
  );
  await lab.waitFor(v6, up('Mesh_fd00_213__11'));
}, 90_000);

afterAll(async () => {
  await lab?.cleanup();
});

const sockets = () => ['--socket', v4.socket, '--socket6', v6.socket];

describe('node status against BIRD 1.6', () => {
  test('the tables: calicoctl layout, names decoded, disabled peer left out as calicoctl does', async () => {
    const { stdout, stderr, code } = await runCli(['node', 'status', ...sockets()]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Calico process is (not )?running\.\n\nIPv4 BGP status\n\+-/);
    expect(stdout).toMatch(/\+\n\nIPv6 BGP status\n\+-[^]*-\+\n\n$/);

    const ipv4 = tableAfter(stdout, 'IPv4 BGP status');
    expect(
      ipv4.lines[0]?.startsWith('+-----------------------+-------------------+-------+----------+-'),
    ).toBe(true);
    expect(
      ipv4.lines[1]?.startsWith('|     PEER ADDRESS      |     PEER TYPE     | STATE |  SINCE   |'),
    ).toBe(true);
    const rows = ipv4.rows;
    expect(rows.map((r) => [r.address, r.type])).toEqual([
      ['10.213.0.13', 'global'],
      ['10.213.0.11', 'node-to-node mesh'],
      ['10.213.0.16', 'node-to-node mesh'],
      ['10.213.0.12', 'node specific'],
      ['10.213.0.14', 'node specific'],
      ['10.213.0.17.port.1790', 'node specific'],
    ]);
    const byAddress = new Map(rows.map((r) => [r.address, r]));
    expect(byAddress.get('10.213.0.11')).toMatchObject({ state: 'up', info: 'Established' });
    expect(byAddress.get('10.213.0.12')).toMatchObject({ state: 'up', info: 'Established' });
    expect(byAddress.get('10.213.0.17.port.1790')).toMatchObject({ state: 'up', info: 'Established' });
    expect(byAddress.get('10.213.0.16')).toMatchObject({ state: 'start', info: 'Passive' });
    expect(byAddress.get('10.213.0.14')).toMatchObject({ state: 'start' });
    expect(byAddress.get('10.213.0.14')?.info).toMatch(/^(Connect|Active)( Socket: Connection refused)?$/);
    // The wrong-AS peer cycles (Idle / Connect / Active / OpenSent) as its error-wait timer runs.
    expect(byAddress.get('10.213.0.13')?.info).toMatch(/^(Idle|Connect|Active|OpenSent|OpenConfirm)\b/);
    for (const r of rows) expect(r.since).toMatch(/^\d\d:\d\d:\d\d$/);

    // The bytes are tablewriter's for these rows.
    const rendered = renderTable(
      ['Peer address', 'Peer type', 'State', 'Since', 'Info'],
      rows.map((r) => [r.address, r.type, r.state, r.since, r.info]),
    );
    expect(ipv4.lines.join('\n') + '\n').toBe(rendered);

    const ipv6 = tableAfter(stdout, 'IPv6 BGP status');
    expect(ipv6.lines[1]?.startsWith('| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |')).toBe(true);
    expect(ipv6.rows.map((r) => [r.address, r.type, r.state])).toEqual([
      ['fd00:213::11', 'node-to-node mesh', 'up'],
      ['fd00:213::14', 'node specific', 'start'],
    ]);
  });

  test('-o json: every Calico peer, the disabled one too, with family and decoded address', async () => {
    const { stdout, code } = await runCli(['node', 'status', ...sockets(), '-o', 'json']);
    expect(code).toBe(0);
    const data = JSON.parse(stdout);
    expect(data.processChecks).toBe(false);
    expect(data.daemons).toEqual([
      { family: 'IPv4', status: 'ok', path: v4.socket, birdVersion: '1.6.8', format: 'bird1', error: null },
      { family: 'IPv6', status: 'ok', path: v6.socket, birdVersion: '1.6.8', format: 'bird1', error: null },
    ]);
    const peers = new Map<string, Record<string, unknown>>(
      data.peers.map((p: { protocol: string }) => [p.protocol, p]),
    );
    expect([...peers.keys()]).toEqual([
      'Global_10_213_0_13',
      'Mesh_10_213_0_11',
      'Mesh_10_213_0_15',
      'Mesh_10_213_0_16',
      'Node_10_213_0_12',
      'Node_10_213_0_14',
      'Node_10_213_0_17_port_1790',
      'Mesh_fd00_213__11',
      'Node_fd00_213__14',
    ]);
    expect(peers.get('Mesh_10_213_0_11')).toMatchObject({
      address: '10.213.0.11',
      port: null,
      type: 'node-to-node mesh',
      family: 'IPv4',
      state: 'up',
      info: 'Established',
      bgpState: 'Established',
    });
    expect(peers.get('Mesh_10_213_0_15')).toMatchObject({ state: 'down', info: '', bgpState: null });
    expect(peers.get('Node_10_213_0_17_port_1790')).toMatchObject({ address: '10.213.0.17', port: 1790 });
    expect(peers.get('Mesh_fd00_213__11')).toMatchObject({
      address: 'fd00:213::11',
      family: 'IPv6',
      bgpState: 'Established',
    });
    expect(peers.get('Mesh_10_213_0_16')).toMatchObject({ bgpState: 'Passive' });
    for (const p of peers.values()) expect(p.detail).toBeUndefined();
  });

  test('node status PEER: what show protocols all tells about one peer', async () => {
    const text = await runCli(['node', 'status', '10.213.0.12', ...sockets()]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('10.213.0.12 (node specific, protocol Node_10_213_0_12)\n');
    expect(text.stdout).toContain('  Neighbor AS:      64513\n');
    expect(text.stdout).toContain('  Local address:    10.213.0.1\n');
    expect(text.stdout).toMatch(/ {2}Routes: {11}\d+ imported, \d+ exported, \d+ preferred\n/);

    const json = await runCli(['node', 'status', 'Global_10_213_0_13', ...sockets(), '-o', 'json']);
    const [peer] = JSON.parse(json.stdout).peers;
    expect(peer.detail).toMatchObject({ neighborAddress: '10.213.0.13', neighborAs: 64999, localAs: null });
    expect(peer.detail.lastError).toMatch(/Bad peer AS|Connection reset by peer|Connection closed/);
  });

  test('--detail: the tables, then one block per peer', async () => {
    const { stdout, code } = await runCli(['node', 'status', '--detail', ...sockets()]);
    expect(code).toBe(0);
    expect(stdout.indexOf('IPv6 BGP status')).toBeLessThan(
      stdout.indexOf('(node-to-node mesh, protocol Mesh_10_213_0_11)'),
    );
    expect(stdout).toContain('fd00:213::11 (node-to-node mesh, protocol Mesh_fd00_213__11)\n');
  });

  test('a peer that does not exist: exit 2 naming it', async () => {
    const { stderr, code } = await runCli(['node', 'status', '10.213.0.99', ...sockets()]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^no BGP peer '10.213.0.99' in BIRD's protocols\nhint: known peers: 10.213.0.13, /,
    );
  });

  test('one socket missing: the other table still printed, exit 3 naming the missing path', async () => {
    const missing = `${lab.dir}/missing6.ctl`;
    const { stdout, stderr, code } = await runCli([
      'node',
      'status',
      '--socket',
      v4.socket,
      '--socket6',
      missing,
    ]);
    expect(code).toBe(3);
    expect(tableAfter(stdout, 'IPv4 BGP status').rows.length).toBe(6);
    expect(stdout).toContain(
      `\nIPv6 BGP status\nError querying BIRD: unable to connect to BIRDv6 socket: dial unix ${missing}: connect: no such file or directory\n\n`,
    );
    expect(stderr).toMatch(/^hint: /);
  });

  test('the sockets can come from the environment', async () => {
    const { stdout, code } = await runCli(['node', 'status', '-o', 'json'], {
      env: { CALICO_BIRD_SOCKET: v4.socket, CALICO_BIRD6_SOCKET: v6.socket },
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).peers).toHaveLength(9);
  });
});
