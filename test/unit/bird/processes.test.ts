import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, test } from 'vitest';

import { scanProcesses } from '../../../src/bird/processes.js';
import { tempDir } from '../../helpers/temp.js';

/** A fake /proc with one directory per process holding its NUL-separated cmdline. */
function proc(...cmdlines: string[][]): string {
  const root = tempDir('calicoctl-ts-proc-');
  cmdlines.forEach((argv, i) => {
    mkdirSync(join(root, String(100 + i)));
    writeFileSync(join(root, String(100 + i), 'cmdline'), argv.map((a) => a + '\0').join(''));
  });
  mkdirSync(join(root, 'self'));
  mkdirSync(join(root, '999')); // a process that ended: no cmdline
  return root;
}

describe('scanProcesses (argv compared exactly, as calicoctl does)', () => {
  test('calico-node -felix, bird and bird6 as calico-node starts them', () => {
    const root = proc(
      ['calico-node', '-felix'],
      ['bird', '-R', '-s', '/var/run/calico/bird.ctl', '-d', '-c', '/etc/calico/confd/config/bird.cfg'],
      ['bird6', '-R', '-s', '/var/run/calico/bird6.ctl'],
      [],
    );
    expect(scanProcesses(root)).toEqual({ calico: true, bird: true, bird6: true });
  });

  test('calico-felix (older calico/node) counts; a full path to bird does not', () => {
    expect(scanProcesses(proc(['calico-felix'], ['/usr/sbin/bird', '-s', 'x']))).toEqual({
      calico: true,
      bird: false,
      bird6: false,
    });
  });

  test("calicoctl's OR quirk: calico-node alone, or -felix as argv[1] of anything, counts", () => {
    expect(scanProcesses(proc(['calico-node', '-confd'])).calico).toBe(true);
    expect(scanProcesses(proc(['python3', '-felix'])).calico).toBe(true);
    expect(scanProcesses(proc(['sleep', '600'], ['birdc'])).calico).toBe(false);
  });

  test('argv[1] after a long argv[0] counts; a rewritten title is argv[0]; bytes compare exactly', () => {
    expect(scanProcesses(proc(['x'.repeat(5000), '-felix'])).calico).toBe(true);
    expect(scanProcesses(proc(['x'.repeat(4095), '-felix'])).calico).toBe(true);
    expect(scanProcesses(proc(['x'.repeat(5000), '-felixx'])).calico).toBe(false);
    // setproctitle-style command lines have no NUL at all; gopsutil's argv is then that one string.
    const root = proc();
    mkdirSync(join(root, '7'));
    writeFileSync(join(root, '7', 'cmdline'), 'bird6');
    mkdirSync(join(root, '8'));
    writeFileSync(join(root, '8', 'cmdline'), 'bird -R');
    mkdirSync(join(root, '9'));
    writeFileSync(join(root, '9', 'cmdline'), Buffer.from([0x62, 0x69, 0x72, 0x64, 0xff, 0]));
    mkdirSync(join(root, '10'));
    writeFileSync(join(root, '10', 'cmdline'), Buffer.from('x\xff\0-felix\0', 'latin1'));
    expect(scanProcesses(root)).toEqual({ calico: true, bird: false, bird6: true });
  });

  test('an unreadable /proc means nothing runs', () => {
    expect(scanProcesses('/nonexistent-proc')).toEqual({ calico: false, bird: false, bird6: false });
  });
});
