import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp.js';

/** The direct subcommands of a topic, from the build's oclif manifest (the source completion reads). */
function subcommandsInManifest(topic: string): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, unknown>;
  };
  return Object.keys(manifest.commands)
    .filter((id) => id.startsWith(`${topic}:`) && id.split(':').length === 2)
    .map((id) => id.split(':')[1]!)
    .sort();
}

let scriptPath: string;

function installed(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

/** Runs the generated bash completion for the given command line (cursor at the end). */
function complete(line: string): string[] {
  const words = line.split(' ');
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const program = [
    `source '${scriptPath}'`,
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    '_calicoctl_ts_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const out = execFileSync('bash', ['-c', program], { encoding: 'utf8', cwd: scriptDir });
  return out.split('\n').filter((w) => w !== '');
}

let scriptDir: string;

describe('calicoctl-ts completion', () => {
  beforeAll(async () => {
    const result = await runCli(['completion', 'bash']);
    expect(result.code).toBe(0);
    scriptDir = tempDir();
    scriptPath = join(scriptDir, 'completion.bash');
    writeFileSync(scriptPath, result.stdout);
    writeFileSync(join(scriptDir, 'pool.yaml'), 'kind: IPPool\n');
  });

  it('completes top-level commands and topics', () => {
    expect(complete('calicoctl-ts ')).toEqual(
      expect.arrayContaining(['get', 'ipam', 'node', 'datastore', 'version']),
    );
    expect(complete('calicoctl-ts ip')).toEqual(['ipam', 'ippool']);
    expect(complete('calicoctl-ts ve')).toEqual(['version']);
  });

  it('completes subcommands of topics, also nested ones', () => {
    expect(complete('calicoctl-ts ipam ')).toEqual(subcommandsInManifest('ipam'));
    expect(complete('calicoctl-ts ipam ')).toEqual(expect.arrayContaining(['configure', 'show']));
    expect(complete('calicoctl-ts datastore migrate ')).toEqual(['export', 'import', 'lock', 'unlock']);
  });

  it('completes resource kinds for commands that take one, once', () => {
    expect(complete('calicoctl-ts get ippo')).toEqual(expect.arrayContaining(['ippool']));
    expect(complete('calicoctl-ts delete bgpp')).toEqual(expect.arrayContaining(['bgppeer']));
    expect(complete('calicoctl-ts get -o yaml ippo')).toEqual(expect.arrayContaining(['ippool']));
    expect(complete('calicoctl-ts get ippool ippo')).not.toContain('ippool');
  });

  it('completes the KIND of patch and label, and nothing kind-like after it', () => {
    expect(complete('calicoctl-ts patch ippo')).toEqual(expect.arrayContaining(['ippool', 'ippools']));
    expect(complete('calicoctl-ts patch -p {} bgpp')).toEqual(expect.arrayContaining(['bgppeer']));
    expect(complete('calicoctl-ts patch ippool ippo')).not.toContain('ippool');
    expect(complete('calicoctl-ts label no')).toEqual(expect.arrayContaining(['node', 'nodes']));
    expect(complete('calicoctl-ts label -n prod workloadendp')).toEqual(
      expect.arrayContaining(['workloadendpoint']),
    );
    expect(complete('calicoctl-ts label nodes node1 no')).not.toContain('node');
    expect(complete('calicoctl-ts label nodes node1 cluster=a --ov')).toEqual(['--overwrite']);
  });

  it('completes flags and the fixed values of a flag', () => {
    expect(complete('calicoctl-ts ipam show --show-b')).toEqual(['--show-blocks', '--show-borrowed']);
    expect(complete('calicoctl-ts version -o ')).toEqual(['text', 'json']);
    expect(complete('calicoctl-ts version --output = j')).toEqual(['json']);
    expect(complete('calicoctl-ts completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes file names after a flag that takes a free value', () => {
    expect(complete('calicoctl-ts apply -f po')).toEqual(['pool.yaml']);
  });

  it('prints zsh and fish scripts and a JSON form', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -F _calicoctl_ts_complete calicoctl-ts');
    const fish = await runCli(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c calicoctl-ts -n '_calicoctl_ts_at \\'ipam\\'' -a 'show'");
    const json = await runCli(['completion', 'bash', '-o', 'json']);
    const parsed = JSON.parse(json.stdout) as { shell: string; script: string };
    expect(parsed.shell).toBe('bash');
    expect(parsed.script).toContain('_calicoctl_ts_complete');
    const bad = await runCli(['completion', 'powershell']);
    expect(bad.code).toBe(2);
  });

  it.skipIf(!installed('fish'))('fish completes commands, topics, kinds and flag values', async () => {
    const fish = await runCli(['completion', 'fish']);
    const dir = tempDir();
    writeFileSync(join(dir, 'calicoctl-ts.fish'), fish.stdout);
    const query = (line: string): string[] =>
      execFileSync(
        'fish',
        ['--no-config', '-c', `source '${join(dir, 'calicoctl-ts.fish')}'; complete -C '${line}'`],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        },
      )
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0]!);
    expect(query('calicoctl-ts ip')).toEqual(['ipam', 'ippool']);
    expect(query('calicoctl-ts datastore migrate ')).toEqual(['export', 'import', 'lock', 'unlock']);
    expect(query('calicoctl-ts get -o yaml ippo')).toEqual(['ippool', 'ippools']);
    expect(query('calicoctl-ts get ippool ippo')).toEqual([]);
    expect(query('calicoctl-ts patch ippo')).toEqual(['ippool', 'ippools']);
    expect(query('calicoctl-ts label no')).toEqual(expect.arrayContaining(['node', 'nodes']));
    expect(query('calicoctl-ts label nodes node1 no')).toEqual([]);
    expect(query('calicoctl-ts version -o ')).toEqual(['json', 'text']);
    expect(query('calicoctl-ts ipam show --show-b')).toEqual(['--show-blocks', '--show-borrowed']);
  });

  it.skipIf(!installed('zsh'))('zsh runs the same completion through bashcompinit', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    const dir = tempDir();
    writeFileSync(join(dir, 'completion.zsh'), zsh.stdout);
    // compgen under bashcompinit returns every candidate; zsh's compadd filters them by prefix.
    const program =
      `autoload -U compinit && compinit -u -d '${join(dir, 'zcompdump')}'; source '${join(dir, 'completion.zsh')}'; ` +
      `emulate sh -c 'COMP_WORDS=(calicoctl-ts ipam ""); COMP_CWORD=2; _calicoctl_ts_complete; echo "\${COMPREPLY[@]}"'`;
    const out = execFileSync('zsh', ['-f', '-c', program], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    expect(out.trim()).toBe(subcommandsInManifest('ipam').join(' '));
  });
});
