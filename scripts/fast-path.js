// Builds the fast start-up path (docs/architecture.md, "Start-up"): dist/fast-path.json (the help
// text oclif prints for every help request when stdout is not a terminal, and the flag and argument
// specs of the commands the fast path runs) and dist/fast/bundle/ (the fast path and everything it
// loads, bundled from tsc's output). Runs after tsc and scripts/manifest.js.
import { rmSync, writeFileSync } from 'node:fs';
import { format } from 'node:util';

import { build } from 'esbuild';

// oclif decides on colour when supports-color loads: render the uncoloured text a pipe gets.
process.env.FORCE_COLOR = '0';
const { Args, Config, Flags, Help } = await import('@oclif/core');
const { FAST_HANDLERS } = await import('../dist/src/cli/fast/handlers.js');
const { fastCommandSpec } = await import('../dist/src/cli/fast/spec.js');

// oclif's width when stdout is not a terminal (lib/screen.js).
const WIDTH = 80;
const AGENT_PLACEHOLDER = '@@USER_AGENT@@';
const root = process.cwd();

class CapturedHelp extends Help {
  text = '';
  log(...args) {
    this.text += format(...args) + '\n';
  }
}

/** What `bin/run.js ...argv` prints through oclif; a fresh Config each time, as Help mutates it. */
async function renderHelp(helpArgv) {
  const config = await Config.load(root);
  config.userAgent = AGENT_PLACEHOLDER;
  const help = new CapturedHelp(config, {
    maxWidth: WIDTH,
    ...(config.pjson.oclif.helpOptions ?? config.pjson.helpOptions),
  });
  await help.showHelp(helpArgv);
  return help.text;
}

const config = await Config.load(root);
const help = {};
const add = async (argv, helpArgv = argv) => {
  help[JSON.stringify(argv)] = await renderHelp(helpArgv);
};
await add([]);
await add(['--help']);
for (const command of config.commands) {
  // Dynamic help is computed at run time; oclif renders it.
  if (command.hasDynamicHelp) continue;
  await add([...command.id.split(':'), '--help']);
}
for (const topic of config.topics) {
  if (config.findCommand(topic.name)) continue;
  await add([...topic.name.split(':'), '--help']);
  // A bare topic is help too: bin/run.js ipam
  await add(topic.name.split(':'), [topic.name]);
}
if (!help['[]'].includes(`\n  ${AGENT_PLACEHOLDER}\n`))
  throw new Error('root help: user agent line not found');

const plainParses = new Set([String(Flags.string().parse), String(Args.string().parse)]);
const isPlainParse = (parse) => parse === undefined || plainParses.has(String(parse));
const commands = {};
for (const id of Object.keys(FAST_HANDLERS)) {
  const cached = config.findCommand(id, { must: true });
  const cls = await cached.load();
  const longer = config.commands.find((c) => c.id.startsWith(`${id}:`));
  const spec = longer
    ? { unsupported: `${longer.id} extends its id` }
    : fastCommandSpec(
        {
          id,
          flags: { ...cls.baseFlags, ...cls.flags },
          args: cls.args ?? {},
          strict: cls.strict,
          enableJsonFlag: cls.enableJsonFlag,
        },
        isPlainParse,
      );
  if ('unsupported' in spec) console.warn(`fast-path: ${id} runs through oclif: ${spec.unsupported}`);
  else commands[id] = spec;
}

const data = {
  agentPrefix: `${config.name}/${config.version}`,
  agentPlaceholder: AGENT_PLACEHOLDER,
  width: WIDTH,
  help,
  commands,
};
writeFileSync('dist/fast-path.json', JSON.stringify(data) + '\n');
// Few files instead of dozens: most of a module's start-up cost is resolving and reading it. The
// bundle sits two levels under dist/ like dist/src/version/, whose client-version.js finds
// dist/build-info.json relative to its own URL.
const BUNDLE_DIR = 'dist/fast/bundle';
rmSync(BUNDLE_DIR, { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/cli/fast/main.js'],
  outdir: BUNDLE_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // Loaded only by `version` without --client, from node_modules as usual.
  external: ['etcd3', 'better-sqlite3'],
  // CommonJS dependencies (cli-table3) require Node built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'no-oclif',
      setup(b) {
        b.onResolve({ filter: /^@oclif\// }, (args) => ({
          errors: [{ text: `the fast path must not load oclif (imported by ${args.importer})` }],
        }));
      },
    },
  ],
  logLevel: 'warning',
});

console.log(
  `dist/fast-path.json: ${Object.keys(help).length} help texts, ${Object.keys(commands).length} fast commands`,
);
