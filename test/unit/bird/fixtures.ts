/** Loads the captured BIRD transcripts of test/fixtures/bird and builds results from them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  bgpPeers,
  parseProtocolTable,
  type Family,
  type ProtocolTable,
} from '../../../src/bird/protocols.js';
import { ReplyAssembler, type Reply } from '../../../src/bird/reply.js';
import { peerStatus, type DaemonStatus, type NodeStatusResult } from '../../../src/bird/status.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** Splits a captured byte stream into replies; complete is false when it ends mid-reply. */
export function splitReplies(data: Buffer): { replies: Reply[]; complete: boolean } {
  const assembler = new ReplyAssembler();
  const replies = assembler.push(data);
  return { replies, complete: !assembler.midReply };
}

export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'bird');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function fixtureText(name: string): string {
  return fixture(name).toString('utf8');
}

/** The last reply of a transcript (the greeting and any `configure` reply come before it). */
export function lastReply(name: string): Reply {
  const { replies } = splitReplies(fixture(name));
  const reply = replies[replies.length - 1];
  if (!reply) throw new Error(`${name}: no reply`);
  return reply;
}

export function table(name: string): ProtocolTable {
  return parseProtocolTable(lastReply(name));
}

/** A NodeStatusResult as nodeStatus() builds it when `bird` and `bird6` answer with these transcripts. */
export function resultFrom(v4: string | undefined, v6: string | undefined): NodeStatusResult {
  const daemons: DaemonStatus[] = [];
  const peers = [];
  for (const [family, file] of [
    [4, v4],
    [6, v6],
  ] as [Family, string | undefined][]) {
    const name = family === 4 ? 'IPv4' : 'IPv6';
    if (!file) {
      daemons.push({
        family: name,
        status: 'notRunning',
        path: null,
        birdVersion: null,
        format: null,
        error: null,
      });
      continue;
    }
    const t = table(file);
    daemons.push({
      family: name,
      status: 'ok',
      path: `/run/${file}`,
      birdVersion: '1.6.8',
      format: t.format,
      error: null,
    });
    peers.push(...bgpPeers(t, family));
  }
  return {
    status: { calicoProcessRunning: true, processChecks: true, daemons, peers: peers.map(peerStatus) },
    view: { processes: { calico: true, bird: v4 !== undefined, bird6: v6 !== undefined }, peers },
  };
}
