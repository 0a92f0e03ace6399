import { stripVTControlCharacters } from 'node:util';

import { describe, expect, test } from 'vitest';

import { bgpPeers } from '../../../src/bird/protocols.js';
import { renderNodeStatus, renderPeerDetail } from '../../../src/cli/render/bird.js';
import type { NodeStatusResult } from '../../../src/bird/status.js';
import { paletteFor } from '../../../src/output/colour.js';
import { fixtureText, resultFrom, table } from './fixtures.js';

const plain = { detail: false };

/** The box-drawn lines of a text, i.e. the table(s). */
const tableLines = (text: string) => text.split('\n').filter((l) => l.startsWith('+') || l.startsWith('|'));

describe('byte for byte what calicoctl v3.32.1 printed for the same BIRD state', () => {
  test('BIRD 1.6, IPv4 and IPv6 (calicoctl-table-bird1-legacy.txt)', () => {
    const out = renderNodeStatus(
      resultFrom('bird1-show-protocols.txt', 'bird1-show-protocols-v6.txt'),
      plain,
    );
    expect(out).toBe(fixtureText('calicoctl-table-bird1-legacy.txt'));
  });

  test('BIRD 1.6 during graceful-restart recovery (calicoctl-table-bird1-during-gr-legacy.txt)', () => {
    const out = renderNodeStatus(
      resultFrom('bird1-show-protocols-during-gr.txt', 'bird1-show-protocols-v6-during-gr.txt'),
      plain,
    );
    expect(out).toBe(fixtureText('calicoctl-table-bird1-during-gr-legacy.txt'));
  });

  test.each(['iso-long', 'old-long', 's', 'T-1-F'])(
    'timeformat %s: the same table, quirks included',
    (format) => {
      const out = renderNodeStatus(resultFrom(`bird1-timeformat-${format}.txt`, undefined), plain);
      expect(tableLines(out)).toEqual(
        tableLines(fixtureText(`calicoctl-table-bird1-timeformat-${format}-legacy.txt`)),
      );
      expect(tableLines(out).length).toBeGreaterThan(10);
    },
  );

  test('BIRD 2, which calicoctl rejects, prints the table calicoctl prints for BIRD 1.6 (times aside)', () => {
    const bird2 = tableLines(
      renderNodeStatus(resultFrom('bird2-show-protocols.txt', 'bird2-show-protocols-v6.txt'), plain),
    );
    const bird1 = tableLines(fixtureText('calicoctl-table-bird1-legacy.txt'));
    // The same rows and wrapping; BIRD 2's since has milliseconds, so SINCE is 4 wider.
    const sinceless = (l: string) => l.replace(/^([|+][^|+]*[|+][^|+]*[|+][^|+]*[|+])[^|+]*/, '$1');
    expect(bird2.map(sinceless)).toEqual(bird1.map(sinceless));
    expect(bird2[1]).toBe(
      '|     PEER ADDRESS      |     PEER TYPE     | STATE |    SINCE     |              INFO              |',
    );
    expect(bird2[3]).toBe(
      '| 10.213.0.13           | global            | start | 21:10:31.450 | Idle BGP Error: Bad peer AS    |',
    );
    expect(bird2.find((l) => l.includes('fd00:213::14'))).toBe(
      '| fd00:213::14 | node specific     | start | 21:06:28.089 | Active Socket: Connection      |',
    );
  });
});

describe("calicoctl's messages", () => {
  const base = resultFrom('bird1-show-protocols.txt', 'bird1-show-protocols-v6.txt');

  test('neither bird nor bird6 runs', () => {
    const result: NodeStatusResult = {
      status: { ...base.status, daemons: [], peers: [] },
      view: { processes: { calico: true, bird: false, bird6: false }, peers: [] },
    };
    expect(renderNodeStatus(result, plain)).toBe(
      'Calico process is running.\n\nThe BGP backend process (BIRD) is not running.\n\n',
    );
  });

  test('bird6 does not run', () => {
    const out = renderNodeStatus(resultFrom('synthetic-bird1-no-bgp.txt', undefined), plain);
    expect(out).toBe(
      "Calico process is running.\n\nIPv4 BGP status\nNo IPv4 peers found.\n\nINFO: BIRDv6 process: 'bird6' is not running.\n\n",
    );
  });

  test('bird does not run', () => {
    const out = renderNodeStatus(resultFrom(undefined, 'synthetic-bird1-no-bgp.txt'), plain);
    expect(out).toBe(
      "Calico process is running.\n\nINFO: BIRDv4 process: 'bird' is not running.\n\nIPv6 BGP status\nNo IPv6 peers found.\n\n",
    );
  });

  test("a socket that cannot be reached: calicoctl's text, with a newline", () => {
    const result = resultFrom(undefined, 'bird1-show-protocols-v6.txt');
    result.status.daemons[0] = {
      family: 'IPv4',
      status: 'unreachable',
      path: '/var/run/bird/bird.ctl',
      birdVersion: null,
      format: null,
      error: 'dial unix /var/run/bird/bird.ctl: connect: no such file or directory',
    };
    const out = renderNodeStatus(result, plain);
    expect(out).toMatch(
      /^Calico process is running\.\n\nIPv4 BGP status\nError querying BIRD: unable to connect to BIRDv4 socket: dial unix \/var\/run\/bird\/bird\.ctl: connect: no such file or directory\n\nIPv6 BGP status\n\+/,
    );
  });

  test('BIRD 2 answers for both families on one socket', () => {
    const v4 = table('bird2-show-protocols.txt');
    const v6 = table('bird2-show-protocols-v6.txt');
    const peers = [...bgpPeers(v4, 4), ...bgpPeers(v6, 4)]; // all on the IPv4 socket
    const result: NodeStatusResult = {
      status: {
        calicoProcessRunning: true,
        processChecks: true,
        daemons: [
          { family: 'IPv4', status: 'ok', path: '/x', birdVersion: '2.0.12', format: 'bird2', error: null },
          { family: 'IPv6', status: 'notRunning', path: null, birdVersion: null, format: null, error: null },
        ],
        peers: [],
      },
      view: { processes: { calico: true, bird: true, bird6: false }, peers },
    };
    const out = renderNodeStatus(result, plain);
    expect(out).not.toContain('INFO: BIRDv6');
    const [v4Part, v6Part] = out.split('IPv6 BGP status\n');
    expect(v4Part).toContain('| 10.213.0.11 ');
    expect(v4Part).not.toContain('fd00');
    expect(v6Part).toContain('| fd00:213::11 ');
    expect(v6Part).not.toContain('10.213.0.11');
  });

  test('explicit sockets and no Calico process: says so and goes on', () => {
    const result = resultFrom('bird1-show-protocols.txt', undefined);
    result.status.calicoProcessRunning = false;
    result.status.processChecks = false;
    result.status.daemons = result.status.daemons.filter((d) => d.status === 'ok');
    const out = renderNodeStatus(result, plain);
    expect(out.startsWith('Calico process is not running.\n\nIPv4 BGP status\n+---')).toBe(true);
    expect(out).not.toContain('IPv6');
  });
});

describe('colour and details', () => {
  test('colour leaves the layout alone: stripped, it is the plain text', async () => {
    const result = resultFrom('bird1-show-protocols.txt', 'bird1-show-protocols-v6.txt');
    const palette = await paletteFor({ isTTY: true }, {});
    const coloured = renderNodeStatus(result, { detail: false, palette });
    expect(coloured).toContain('\x1b[32mup\x1b[39m');
    expect(coloured).toContain('\x1b[31mIdle BGP Error: Bad peer AS\x1b[39m');
    expect(coloured).toContain('\x1b[33mstart\x1b[39m');
    const stripped = stripVTControlCharacters(coloured);
    expect(stripped).toBe(fixtureText('calicoctl-table-bird1-legacy.txt'));
  });

  test('--detail appends one block per peer', () => {
    const result = resultFrom('bird1-show-protocols-all.txt', undefined);
    const out = renderNodeStatus(result, { detail: true });
    expect(out).toContain(
      [
        '10.213.0.14 (node specific, protocol Node_10_213_0_14)',
        '  State:            start since 21:06:26',
        '  BGP state:        Active',
        '  Neighbor address: 10.213.0.14',
        '  Neighbor AS:      64512',
        '  Routes:           0 imported, 0 exported, 0 preferred',
        '  Last error:       Socket: Connection refused',
        '  Info:             Active Socket: Connection refused',
        '',
      ].join('\n'),
    );
    expect(out.endsWith('\n\n')).toBe(true);
    expect(out.match(/\(.*protocol (Mesh|Node|Global)_/g)).toHaveLength(9);
  });

  test('a BIRD 2 peer shows its local AS and address', () => {
    const [peer] = bgpPeers(table('bird2-show-protocols-all-Mesh_10_213_0_11.txt'), 4);
    expect(renderPeerDetail(peer!)).toBe(
      [
        '10.213.0.11 (node-to-node mesh, protocol Mesh_10_213_0_11)',
        '  State:            up since 21:06:29.988',
        '  BGP state:        Established',
        '  Neighbor address: 10.213.0.11',
        '  Neighbor AS:      64512',
        '  Neighbor ID:      10.213.0.11',
        '  Local AS:         64512',
        '  Local address:    10.213.0.1',
        '  Routes:           1 imported, 3 exported, 1 preferred',
        '  Info:             Established',
        '',
      ].join('\n'),
    );
  });
});
