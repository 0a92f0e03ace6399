/**
 * Every command's help is usable: a summary, at least one example, and `<command> --help` (run
 * through the built CLI, as users run it) exits 0 and prints every example. Topics that are not
 * commands show their own description from package.json, not a borrowed command summary.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT, runCli } from '../../helpers/cli.js';

interface ManifestCommand {
  id: string;
  summary?: string;
  hidden?: boolean;
  examples?: (string | { description?: string; command: string })[];
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
const pjson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  oclif: { bin: string; topics?: Record<string, { description?: string }> };
};
const bin = pjson.oclif.bin;
const commands = Object.values(manifest.commands).filter((c) => !c.hidden);

/** oclif wraps long lines (and continues example commands with ` \`): compare words only. */
const words = (text: string): string => text.replace(/ \\\n/g, ' ').replace(/\s+/g, ' ').trim();
const withBin = (text: string): string => text.replaceAll('<%= config.bin %>', bin);

describe('command help', () => {
  it('covers every command of the manifest', () => {
    expect(commands.length).toBeGreaterThanOrEqual(20);
    expect(commands.map((c) => c.id)).toEqual(expect.arrayContaining(['get', 'ipam:show', 'ippool:mode']));
  });

  it.each(commands.map((c) => [c.id.replaceAll(':', ' '), c] as const))(
    '%s has a summary and examples, and --help prints them',
    async (name, command) => {
      expect(command.summary?.trim()).toBeTruthy();
      const examples = (command.examples ?? []).map((e) => (typeof e === 'string' ? { command: e } : e));
      expect(examples.length).toBeGreaterThan(0);
      for (const e of examples) expect(e.command.trim()).not.toBe('');

      const r = await runCli([...name.split(' '), '--help']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const help = words(r.stdout);
      expect(help).toContain(words(command.summary!));
      expect(r.stdout).toContain('\nEXAMPLES\n');
      for (const e of examples) {
        // oclif prompts with `$ ` only the examples that start with the command name.
        const cmd = words(withBin(e.command));
        expect(help).toContain(cmd.startsWith(`${bin} `) ? `$ ${cmd}` : cmd);
        if (e.description) expect(help).toContain(words(withBin(e.description)));
      }
    },
  );
});

describe('topic help', () => {
  const topics = Object.entries(pjson.oclif.topics ?? {});

  it('describes every topic that holds commands', () => {
    const holding = new Set(
      commands.flatMap((c) => {
        const parts = c.id.split(':');
        return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join(':'));
      }),
    );
    expect(topics.map(([name]) => name).sort()).toEqual([...holding].sort());
    for (const [, t] of topics) expect(t.description?.trim()).toBeTruthy();
  });

  it.each(topics)('%s --help shows the topic description and its commands', async (topic, t) => {
    const r = await runCli([...topic.split(':'), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${t.description!}\n`)).toBe(true);
    // Direct children: commands, and nested topics (listed under TOPICS).
    const depth = topic.split(':').length + 1;
    const children = new Set(
      commands
        .filter((c) => c.id.startsWith(`${topic}:`))
        .map((c) => c.id.split(':').slice(0, depth).join(' ')),
    );
    for (const child of children) expect(r.stdout).toContain(`\n  ${child}  `);
  });
});
