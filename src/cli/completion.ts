/**
 * Shell completion scripts generated from the oclif command list (the manifest): topics,
 * commands, flags, flag values (`-o json`), and values of the first argument (resource kinds for
 * commands whose first argument is `kind`: get, create, apply, replace, delete, patch and label; or
 * an argument's fixed options). The scripts carry all
 * the data, so pressing TAB never starts node.
 */
import type { Command, Config } from '@oclif/core';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionFlag {
  /** Every spelling: `--output`, `-o`, aliases. */
  spellings: string[];
  long: string;
  short?: string;
  takesValue: boolean;
  /** Fixed values offered after the flag; empty means any value (file names are offered). */
  values: string[];
  summary: string;
}

export interface CompletionCommand {
  /** oclif id, topics joined by ':' (`datastore:migrate:lock`). */
  id: string;
  summary: string;
  flags: CompletionFlag[];
  /** Values offered for the first argument. */
  argValues: string[];
}

export interface CompletionModel {
  bin: string;
  commands: CompletionCommand[];
  /** Topic id -> summary, for topics that are not commands themselves (`datastore`, `ipam`). */
  topics: Record<string, string>;
}

/** Builds the model from the loaded oclif config; kindNames are offered for `kind` arguments. */
export function completionModel(config: Config, kindNames: readonly string[]): CompletionModel {
  const commands = config.commands
    .filter((c) => !c.hidden)
    .map((c) => commandModel(c, kindNames))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Only topics described in package.json: oclif otherwise borrows the summary of a command in it.
  const topics: Record<string, string> = {};
  for (const [name, t] of Object.entries(config.pjson.oclif.topics ?? {})) {
    if (t.description) topics[name] = firstLine(t.description);
  }
  return { bin: config.bin, commands, topics };
}

function commandModel(c: Command.Loadable, kindNames: readonly string[]): CompletionCommand {
  const flags: CompletionFlag[] = Object.entries(c.flags)
    .filter(([, f]) => !f.hidden)
    .map(([name, f]) => {
      const spellings = [`--${name}`, ...(f.aliases ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
      if (f.char) spellings.push(`-${f.char}`);
      const takesValue = f.type === 'option';
      return {
        spellings,
        long: name,
        ...(f.char ? { short: f.char } : {}),
        takesValue,
        values: takesValue ? [...(f.options ?? [])] : [],
        summary: firstLine(f.summary ?? f.description ?? ''),
      };
    });
  flags.push({ spellings: ['--help'], long: 'help', takesValue: false, values: [], summary: 'Show help.' });
  const [firstArgName, firstArg] = Object.entries(c.args)[0] ?? [];
  const argValues = firstArgName === 'kind' ? [...kindNames] : [...(firstArg?.options ?? [])];
  return { id: c.id, summary: firstLine(c.summary ?? c.description ?? ''), flags, argValues };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The script for shell; `source` it (bash, zsh) or save it as a fish completion file. */
export function renderCompletion(shell: Shell, model: CompletionModel): string {
  if (shell === 'fish') return renderFish(model);
  const bash = renderBash(model);
  if (shell === 'bash') return bash;
  return (
    `# zsh completion for ${model.bin}: zsh runs the bash completion through bashcompinit.\n` +
    `# Load it after compinit, e.g. in ~/.zshrc: source <(${model.bin} completion zsh)\n` +
    'autoload -U +X bashcompinit && bashcompinit\n' +
    bash
  );
}

/** Children of every command path: '' -> top-level words, 'datastore' -> its subcommands. */
function childrenByPath(model: CompletionModel): Map<string, Map<string, string>> {
  const children = new Map<string, Map<string, string>>();
  const add = (parent: string, word: string, summary: string): void => {
    const map = children.get(parent) ?? new Map<string, string>();
    if (!map.has(word) || summary) map.set(word, summary);
    children.set(parent, map);
  };
  for (const c of model.commands) {
    const parts = c.id.split(':');
    parts.forEach((word, i) =>
      add(parts.slice(0, i).join(':'), word, i === parts.length - 1 ? c.summary : ''),
    );
  }
  // A topic without a description of its own is described by what it holds.
  for (const [parent, map] of children) {
    for (const [word, summary] of map) {
      if (summary) continue;
      const topicId = parent ? `${parent}:${word}` : word;
      map.set(
        word,
        model.topics[topicId] ?? `Commands: ${[...(children.get(topicId)?.keys() ?? [])].join(', ')}`,
      );
    }
  }
  return children;
}

function functionName(bin: string): string {
  return `_${bin.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function bashQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function renderBash(model: CompletionModel): string {
  const fn = functionName(model.bin);
  const children = childrenByPath(model);
  const lines: string[] = [];
  const out = (line = ''): number => lines.push(line);

  out(`# bash completion for ${model.bin}, generated by \`${model.bin} completion bash\`.`);
  out(`# Load it with: source <(${model.bin} completion bash)`);
  out();
  out(`${fn}_children() {`);
  out('  case "$1" in');
  for (const [path, words] of children)
    out(`    ${bashQuote(path)}) echo ${bashQuote([...words.keys()].join(' '))} ;;`);
  out('  esac');
  out('}');
  out();
  out(`${fn}_flags() {`);
  out('  case "$1" in');
  for (const c of model.commands) {
    out(`    ${bashQuote(c.id)}) echo ${bashQuote(c.flags.flatMap((f) => f.spellings).join(' '))} ;;`);
  }
  out('  esac');
  out('}');
  out();
  out('# Succeeds when flag $2 of command $1 takes a value; prints the values it accepts, if fixed.');
  out(`${fn}_flag_values() {`);
  out('  case "$1 $2" in');
  for (const c of model.commands) {
    for (const f of c.flags.filter((x) => x.takesValue)) {
      const patterns = f.spellings.map((s) => bashQuote(`${c.id} ${s}`)).join('|');
      out(`    ${patterns}) echo ${bashQuote(f.values.join(' '))} ;;`);
    }
  }
  out('    *) return 1 ;;');
  out('  esac');
  out('}');
  out();
  out(`${fn}_arg_values() {`);
  out('  case "$1" in');
  for (const c of model.commands.filter((x) => x.argValues.length > 0)) {
    out(`    ${bashQuote(c.id)}) echo ${bashQuote(c.argValues.join(' '))} ;;`);
  }
  out('  esac');
  out('}');
  out();
  out(`${fn}_complete() {`);
  out('  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i skip=0 positional=0 values words');
  out('  COMPREPLY=()');
  out('  if ((COMP_CWORD > 0)); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi');
  out("  # bash splits '--flag=value' at '=' into three words.");
  out(
    '  if [[ $cur == "=" ]]; then cur=""; elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi',
  );
  out('  for ((i = 1; i < COMP_CWORD; i++)); do');
  out('    word="${COMP_WORDS[i]}"');
  out('    if ((skip > 0)); then skip=$((skip - 1)); continue; fi');
  out('    case "$word" in');
  out('      -*=*) continue ;;');
  out('      -*)');
  out(`        if ${fn}_flag_values "$path" "$word" >/dev/null; then`);
  out('          skip=1');
  out('          if [[ ${COMP_WORDS[i+1]} == "=" ]]; then skip=2; fi');
  out('        fi');
  out('        continue ;;');
  out('    esac');
  out(`    if ((positional == 0)) && [[ " $(${fn}_children "$path") " == *" $word "* ]]; then`);
  out('      path="${path:+$path:}$word"');
  out('    else');
  out('      positional=$((positional + 1))');
  out('    fi');
  out('  done');
  out(`  if [[ $prev == -* ]] && values="$(${fn}_flag_values "$path" "$prev")"; then`);
  out('    if [[ -n $values ]]; then');
  out('      COMPREPLY=($(compgen -W "$values" -- "$cur"))');
  out('    else');
  out('      compopt -o filenames 2>/dev/null');
  out('      COMPREPLY=($(compgen -f -- "$cur"))');
  out('    fi');
  out('    return 0');
  out('  fi');
  out('  if [[ $cur == -* ]]; then');
  out(`    COMPREPLY=($(compgen -W "$(${fn}_flags "$path")" -- "$cur"))`);
  out('    return 0');
  out('  fi');
  out('  words=""');
  out(`  if ((positional == 0)); then words="$(${fn}_children "$path") $(${fn}_arg_values "$path")"; fi`);
  out(`  if [[ -z \${words// /} ]]; then words="$(${fn}_flags "$path")"; fi`);
  out('  COMPREPLY=($(compgen -W "$words" -- "$cur"))');
  out('}');
  out();
  out(`complete -F ${fn}_complete ${model.bin}`);
  return lines.join('\n') + '\n';
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function renderFish(model: CompletionModel): string {
  const fn = functionName(model.bin);
  const bin = model.bin;
  const children = childrenByPath(model);
  const paths = new Set(model.commands.flatMap((c) => prefixes(c.id)));
  const valueFlags = model.commands.flatMap((c) =>
    c.flags.filter((f) => f.takesValue).flatMap((f) => f.spellings.map((s) => `${c.id} ${s}`)),
  );
  const lines: string[] = [];
  const out = (line = ''): number => lines.push(line);

  out(`# fish completion for ${bin}, generated by \`${bin} completion fish\`.`);
  out(`# Save it as ~/.config/fish/completions/${bin}.fish`);
  out();
  out(`set -g ${fn}_paths ${[...paths].map(fishQuote).join(' ')}`);
  out(`set -g ${fn}_value_flags ${valueFlags.map(fishQuote).join(' ')}`);
  out();
  out('# Prints p:<command path> and the number of arguments after it.');
  out(`function ${fn}_state`);
  out('    set -l tokens (commandline -opc)');
  out('    set -e tokens[1]');
  out("    set -l path ''");
  out('    set -l positional 0');
  out('    set -l skip 0');
  out('    for t in $tokens');
  out('        if test $skip -eq 1');
  out('            set skip 0');
  out('            continue');
  out('        end');
  out('        switch $t');
  out("            case '-*=*'");
  out('                continue');
  out("            case '-*'");
  out(`                if contains -- "$path $t" $${fn}_value_flags`);
  out('                    set skip 1');
  out('                end');
  out('                continue');
  out('        end');
  out('        set -l candidate $t');
  out('        if test -n "$path"');
  out('            set candidate "$path:$t"');
  out('        end');
  out(`        if test $positional -eq 0; and contains -- $candidate $${fn}_paths`);
  out('            set path $candidate');
  out('        else');
  out('            set positional (math $positional + 1)');
  out('        end');
  out('    end');
  out('    echo "p:$path"');
  out('    echo $positional');
  out('end');
  out();
  out('# True when the command path is $argv[1] and no argument follows it yet.');
  out(`function ${fn}_at`);
  out(`    set -l state (${fn}_state)`);
  out('    test "$state[1]" = "p:$argv[1]"; and test "$state[2]" -eq 0');
  out('end');
  out();
  out('# True when the command path is $argv[1].');
  out(`function ${fn}_in`);
  out(`    set -l state (${fn}_state)`);
  out('    test "$state[1]" = "p:$argv[1]"');
  out('end');
  out();
  out(`complete -c ${bin} -f`);
  for (const [path, words] of children) {
    for (const [word, summary] of words) {
      out(
        `complete -c ${bin} -n ${fishQuote(`${fn}_at '${path}'`)} -a ${fishQuote(word)} -d ${fishQuote(summary)}`,
      );
    }
  }
  for (const c of model.commands) {
    const cond = fishQuote(`${fn}_in '${c.id}'`);
    for (const f of c.flags) {
      let spec = `-l ${f.long}`;
      if (f.short) spec += ` -s ${f.short}`;
      if (f.takesValue) spec += f.values.length > 0 ? ` -x -a ${fishQuote(f.values.join(' '))}` : ' -r -F';
      out(`complete -c ${bin} -n ${cond} ${spec} -d ${fishQuote(f.summary)}`);
    }
    if (c.argValues.length > 0) {
      out(`complete -c ${bin} -n ${fishQuote(`${fn}_at '${c.id}'`)} -a ${fishQuote(c.argValues.join(' '))}`);
    }
  }
  return lines.join('\n') + '\n';
}

function prefixes(id: string): string[] {
  const parts = id.split(':');
  return parts.map((_, i) => parts.slice(0, i + 1).join(':'));
}
