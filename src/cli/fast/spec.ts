/**
 * What the fast start-up path knows about a command: generated at build time from the oclif
 * command classes (scripts/fast-path.js) into dist/fast-path.json, so the fast path needs no oclif.
 * Only the flag features the fast argv parser reproduces exactly are allowed; a command using any
 * other is left out, and then always runs through oclif.
 */

export interface FastFlag {
  name: string;
  char?: string;
  type: 'boolean' | 'option';
  options?: string[];
  default?: string | boolean;
  /** Environment variable read when the flag is not given (option flags only). */
  env?: string;
  required?: boolean;
  /** Repeatable (an option flag without env, default or delimiter): its values, in order, as a list. */
  multiple?: true;
}

export interface FastArg {
  name: string;
  required: boolean;
  /** False: oclif reads a piped stdin into the argument when it is not given. */
  ignoreStdin: boolean;
}

export interface FastCommand {
  /** oclif's id, e.g. "node:status". */
  id: string;
  flags: FastFlag[];
  args: FastArg[];
}

export interface FastData {
  /** `<name>/<version>`, the start of oclif's user agent, shown by the root help. */
  agentPrefix: string;
  /** Stands in for the user agent in the root help text; replaced at run time. */
  agentPlaceholder: string;
  /** The terminal width the help was rendered for: oclif's width when stdout is not a terminal. */
  width: number;
  /**
   * Where the help text for each argv (by JSON.stringify(argv)) is in dist/fast/help.txt: byte
   * offset and byte length. The texts are apart so that commands never read or parse them.
   */
  help: Record<string, [number, number]>;
  commands: Record<string, FastCommand>;
}

/** The parts of an oclif flag definition the generator looks at. */
export interface SourceFlag {
  type: 'boolean' | 'option';
  char?: string;
  options?: readonly string[];
  default?: unknown;
  env?: string;
  required?: boolean;
  parse?: unknown;
  [feature: string]: unknown;
}

export interface SourceArg {
  required?: boolean;
  ignoreStdin?: boolean;
  default?: unknown;
  options?: readonly string[];
  parse?: unknown;
}

export interface SourceCommand {
  id: string;
  flags: Record<string, SourceFlag>;
  args: Record<string, SourceArg>;
  strict?: boolean;
  enableJsonFlag?: boolean;
}

/** Flag properties that change parsing in ways the fast parser does not reproduce. */
const UNSUPPORTED_FLAG_FEATURES = [
  'delimiter',
  'multipleNonGreedy',
  'allowStdin',
  'allowNo',
  'aliases',
  'charAliases',
  'dependsOn',
  'exclusive',
  'exactlyOne',
  'atLeastOne',
  'relationships',
  'combinable',
  'deprecated',
  'deprecateAliases',
];

/**
 * The fast spec of one command, or the reason it cannot have one. isPlainParse tells whether a
 * parse function is oclif's identity parse for strings (a custom one could transform or reject).
 */
export function fastCommandSpec(
  source: SourceCommand,
  isPlainParse: (parse: unknown) => boolean,
): FastCommand | { unsupported: string } {
  if (source.strict === false) return { unsupported: 'non-strict argument parsing' };
  if (source.enableJsonFlag) return { unsupported: 'the --json flag' };
  const flags: FastFlag[] = [];
  for (const [name, flag] of Object.entries(source.flags)) {
    const feature = UNSUPPORTED_FLAG_FEATURES.find((f) => isSet(flag[f]));
    if (feature) return { unsupported: `--${name} uses ${feature}` };
    if (!isPlainParse(flag.parse) && flag.type === 'option')
      return { unsupported: `--${name} has its own parse` };
    const spec: FastFlag = { name, type: flag.type };
    if (isSet(flag['multiple'])) {
      // oclif reads a repeatable flag's env or default as one value, not as a list.
      if (flag.type !== 'option' || flag.env !== undefined || flag.default !== undefined)
        return { unsupported: `--${name} uses multiple with env, a default or as a boolean` };
      spec.multiple = true;
    }
    if (flag.char !== undefined) spec.char = flag.char;
    if (flag.options !== undefined) spec.options = [...flag.options];
    if (flag.required) spec.required = true;
    if (flag.default !== undefined) {
      const ok =
        flag.type === 'boolean' ? typeof flag.default === 'boolean' : typeof flag.default === 'string';
      if (!ok) return { unsupported: `--${name} has a computed or non-${flag.type} default` };
      spec.default = flag.default as string | boolean;
    }
    if (flag.env !== undefined) {
      if (flag.type === 'boolean') return { unsupported: `--${name} is a boolean read from the environment` };
      spec.env = flag.env;
    }
    flags.push(spec);
  }
  const args: FastArg[] = [];
  for (const [name, arg] of Object.entries(source.args)) {
    if (arg.default !== undefined) return { unsupported: `argument ${name} has a default` };
    if (arg.options !== undefined) return { unsupported: `argument ${name} has options` };
    if (!isPlainParse(arg.parse)) return { unsupported: `argument ${name} has its own parse` };
    args.push({ name, required: Boolean(arg.required), ignoreStdin: Boolean(arg.ignoreStdin) });
  }
  return { id: source.id, flags, args };
}

function isSet(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== undefined && value !== false;
}
