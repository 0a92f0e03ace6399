// Builds the fast start-up path (docs/architecture.md, "Start-up"): dist/fast/help.txt (the help
// text oclif prints for every help request when stdout is not a terminal), dist/fast-path.json (where
// each help text is, and the flag and argument specs of the commands the fast path runs) and
// dist/fast/bundle/ (the fast path and everything it loads, bundled from tsc's output into CommonJS
// chunks, each with a V8 code cache). Runs after tsc and scripts/manifest.js.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { format, promisify } from 'node:util';

import { build, transform } from 'esbuild';

// oclif decides on colour when supports-color loads: render the uncoloured text a pipe gets.
process.env.FORCE_COLOR = '0';
const { Args, Config, Flags, Help } = await import('@oclif/core');
const { FAST_COMMANDS } = await import('../dist/src/cli/fast/handlers.js');
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
for (const id of Object.keys(FAST_COMMANDS)) {
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

// Each help text by byte range in one file: a command never reads them, help reads one.
mkdirSync('dist/fast', { recursive: true });
const helpIndex = {};
const helpParts = [];
let offset = 0;
for (const [key, text] of Object.entries(help)) {
  const bytes = Buffer.from(text, 'utf8');
  helpIndex[key] = [offset, bytes.length];
  helpParts.push(bytes);
  offset += bytes.length;
}
writeFileSync('dist/fast/help.txt', Buffer.concat(helpParts));
const data = {
  agentPrefix: `${config.name}/${config.version}`,
  agentPlaceholder: AGENT_PLACEHOLDER,
  width: WIDTH,
  help: helpIndex,
  commands,
};
writeFileSync('dist/fast-path.json', JSON.stringify(data) + '\n');

// Few files instead of dozens: most of a module's start-up cost is resolving and reading it. The
// bundle sits two levels under dist/ like dist/src/version/, whose client-version.js finds
// dist/build-info.json relative to its own URL. main.cjs (argv, help, dispatch, printing) and each
// fast command's handler (dist/src/cli/handlers/*.js) are bundled apart, each split only at its own dynamic
// imports, so a command loads main.cjs, its own file and what its output needs (a shared chunk per
// module used by two commands would cost a file each). esbuild writes ES modules; each file is then
// turned into CommonJS, which bin/run.js compiles with a code cache (Node 20 has none for ES modules).
const BUNDLE_DIR = 'dist/fast/bundle';
const HANDLERS_DIR = 'dist/src/cli/handlers';
rmSync(BUNDLE_DIR, { recursive: true, force: true });
const noOclif = {
  name: 'no-oclif',
  setup(b) {
    b.onResolve({ filter: /^@oclif\// }, (args) => ({
      errors: [{ text: `the fast path must not load oclif (imported by ${args.importer})` }],
    }));
  },
};
// main.cjs loads a handler's bundle by its file name, bin/run.js resolving the require().
const handlersApart = {
  name: 'handlers-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/handlers\/[^/]+\.js$/ }, (args) => ({
      path: `./${basename(args.path, '.js')}.cjs`,
      external: true,
    }));
  },
};
const bundleOptions = {
  outdir: BUNDLE_DIR,
  outExtension: { '.js': '.cjs' },
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  // Loaded from node_modules as usual, by the datastore commands that need them.
  external: ['etcd3', 'better-sqlite3', '@kubernetes/client-node'],
  logLevel: 'warning',
};
const outputs = new Map();
for (const [entry, plugins] of [
  ['dist/src/cli/fast/main.js', [noOclif, handlersApart]],
  ...fastHandlerFiles().map((f) => [join(HANDLERS_DIR, f), [noOclif]]),
]) {
  const { outputFiles } = await build({ ...bundleOptions, entryPoints: [entry], plugins });
  for (const file of outputFiles) {
    // Two commands' builds may make the same chunk (same content, same hash): one file.
    if (outputs.has(file.path) && outputs.get(file.path) !== file.text)
      throw new Error(`fast-path: two different bundles named ${file.path}`);
    outputs.set(file.path, file.text);
  }
}
mkdirSync(BUNDLE_DIR, { recursive: true });
for (const [path, text] of outputs) {
  const { code } = await transform(text, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import() of a chunk or of etcd3 becomes require(), which bin/run.js routes.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__chunk.url' },
    logLevel: 'warning',
  });
  // A function expression, compiled by bin/run.js as the script's whole text (no copy into a
  // wrapper at run time). The cache belongs to exactly this text; V8 itself only compares lengths.
  const wrapped = `(function (exports, require, module, __chunk) {${code}\n})`;
  const key = createHash('sha256').update(wrapped).digest('hex').slice(0, 16);
  writeFileSync(path, `// code-cache-key: ${key}\n${wrapped}`);
}

// The code caches: every kind of fast command once, each run starting from the caches the
// previous runs wrote and writing them back with what it compiled.
const scratch = mkdtempSync(join(tmpdir(), 'calicoctl-ts-fast-path-'));
const birds = await Promise.all(
  [
    ['bird.ctl', 'bird1-show-protocols.txt'],
    ['bird6.ctl', 'bird1-show-protocols-v6.txt'],
  ].map(([name, transcript]) => replayBird(join(scratch, name), join('test/fixtures/bird', transcript))),
);
const pool = (cidr) =>
  `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata:\n  name: pool1\nspec:\n  cidr: ${cidr}\n`;
writeFileSync(join(scratch, 'good.yaml'), pool('10.1.0.0/16'));
writeFileSync(join(scratch, 'bad.yaml'), pool('10.1.0.0/33'));
const sockets = ['--socket', join(scratch, 'bird.ctl'), '--socket6', join(scratch, 'bird6.ctl')];
const warmUps = [
  [],
  ['--help'],
  ['node', 'status', '--help'],
  ['version', '--client'],
  ['version', '--client', '-o', 'json'],
  ['version'],
  ['validate', '-f', join(scratch, 'good.yaml')],
  ['validate', '-f', join(scratch, 'bad.yaml')],
  ['validate', '-f', join(scratch, 'good.yaml'), '-o', 'json'],
  ['node', 'status', ...sockets],
  ['node', 'status', ...sockets, '-o', 'json'],
  ['node', 'status'],
  ['ipam', 'show'],
  ['ipam', 'check'],
  // Reads this machine's routes and links (read-only); the empty store makes every check trivial.
  ['node', 'check', '--node', 'fast-path-warm-up'],
];
const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: scratch,
  DATASTORE_TYPE: 'embedded',
  EMBEDDED_DATASTORE_PATH: join(scratch, 'datastore.db'),
  CALICOCTL_TS_CODE_CACHE: 'write',
};
// The etcd backend's code, loaded by a read that finds nothing listening (no etcd at build time).
const etcdEnv = { ...env, DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: 'http://127.0.0.1:1' };
try {
  for (const [args, runEnv] of [
    ...warmUps.map((args) => [args, env]),
    [['ipam', 'show', '--timeout', '2s'], etcdEnv],
  ]) {
    // Failures are part of the warm-up (bad.yaml, no Calico process, no etcd): only the run matters.
    await promisify(execFile)(process.execPath, ['bin/run.js', ...args], { env: runEnv }).catch((err) => {
      if (typeof err.code !== 'number') throw err;
    });
  }
} finally {
  await Promise.all(birds.map((b) => b.close()));
  rmSync(scratch, { recursive: true, force: true });
}

/** The handler files FAST_COMMANDS imports, read from its compiled text (the ids' import() calls). */
function fastHandlerFiles() {
  const text = readFileSync('dist/src/cli/fast/handlers.js', 'utf8');
  const files = [...text.matchAll(/import\('\.\.\/handlers\/([^/']+\.js)'\)/g)].map((m) => m[1]);
  if (files.length !== Object.keys(FAST_COMMANDS).length)
    throw new Error(
      `fast-path: ${Object.keys(FAST_COMMANDS).length} fast commands, ${files.length} handler imports`,
    );
  return files;
}

/** A stand-in BIRD control socket replaying a recorded transcript (greeting, then one reply). */
async function replayBird(path, transcript) {
  const text = readFileSync(transcript, 'utf8');
  const greeting = text.slice(0, text.indexOf('\n') + 1);
  const reply = text.slice(greeting.length);
  const open = new Set();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket)).on('error', () => socket.destroy());
    socket.write(greeting);
    socket.setEncoding('utf8').on('data', (d) => {
      for (let i = 0; i < d.split('\n').length - 1; i++) socket.write(reply);
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return {
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(resolve);
      }),
  };
}

const caches = [...outputs.keys()].filter((path) => {
  try {
    const key = /^\/\/ code-cache-key: (\w+)/.exec(readFileSync(path, 'utf8'))[1];
    readFileSync(`${path}.${key}.cache`);
    return true;
  } catch {
    return false;
  }
});
console.log(
  `dist/fast-path.json: ${Object.keys(help).length} help texts, ${Object.keys(commands).length} fast commands; ` +
    `${BUNDLE_DIR}: ${outputs.size} files, ${caches.length} with a code cache`,
);
