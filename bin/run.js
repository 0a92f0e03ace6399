#!/usr/bin/env node
// Help and the commands that need no datastore start without oclif (docs/architecture.md, "Start-up").
// CommonJS (bin/package.json): an ES module entry point alone costs Node about 3 ms more to start.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
/** Loaded chunks by file: { module, script, cacheFile }. */
const chunks = new Map();
// tablewriter takes createRequire from node:module for coloured tables only; node:module brings part
// of Node's ES module loader (~0.4 ms), so it is loaded when that is called.
const lazyNodeModule = {
  get createRequire() {
    return require('node:module').createRequire;
  },
};
// The build runs each kind of command once with this set, so every cache holds the functions the
// commands ran (each run starts from the caches the previous runs wrote).
if (process.env.CALICOCTL_TS_CODE_CACHE === 'write') {
  process.on('exit', () => {
    for (const { script, cacheFile } of chunks.values())
      if (cacheFile !== undefined) writeFileSync(cacheFile, script.createCachedData());
  });
}

const argv = process.argv.slice(2);
const fast = process.env.CALICOCTL_TS_NO_FAST_PATH
  ? undefined
  : loadChunk(join(dist, 'fast', 'bundle', 'main.cjs'));
Promise.resolve(fast?.runFast(argv, dist)).then(async (done) => {
  if (done) return;
  if (process.env.CALICOCTL_TS_TRACE_STARTUP === '1') process.stderr.write('start-up: oclif\n');
  const { execute } = await import('@oclif/core');
  // The root, not this file: bin/package.json would otherwise be taken for the CLI's package.json.
  await execute({ dir: join(__dirname, '..') });
});

/**
 * The fast path's bundle is CommonJS chunks, each a function expression (scripts/fast-path.js),
 * compiled with the V8 code cache the build made for it, so that V8 neither parses nor compiles
 * what it ran then. A cache is found by the content key on the chunk's first line; a missing or
 * unreadable one is compiled without, and one V8 refuses (another Node.js, other V8 flags) is
 * ignored by V8 itself.
 */
function loadChunk(file) {
  const known = chunks.get(file);
  if (known) return known.module.exports;
  const source = readFileSync(file, 'utf8');
  const key = /^\/\/ code-cache-key: ([0-9a-f]+)\n/.exec(source)?.[1];
  const cacheFile = key === undefined ? undefined : `${file}.${key}.cache`;
  let cachedData;
  try {
    if (cacheFile !== undefined) cachedData = readFileSync(cacheFile);
  } catch {
    // compiled without a cache
  }
  const { Script } = require('node:vm');
  // (function (exports, require, module, __chunk) {...})
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  chunks.set(file, { module, script, cacheFile });
  if (process.env.CALICOCTL_TS_TRACE_CODE_CACHE === '1') {
    const used = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
    process.stderr.write(`code cache: ${file.slice(file.lastIndexOf('/') + 1)} ${used}\n`);
  }
  const requireFromChunk = (id) =>
    id.startsWith('./')
      ? loadChunk(join(file, '..', id))
      : id === 'node:module'
        ? lazyNodeModule
        : require(id);
  // import.meta.url, computed only by the two chunks that ask (~0.1 ms each).
  const chunk = {
    get url() {
      return require('node:url').pathToFileURL(file).href;
    },
  };
  script.runInThisContext()(module.exports, requireFromChunk, module, chunk);
  module.exports = settled(module.exports);
  return module.exports;
}

/**
 * esbuild gives a CommonJS chunk's exports as getters (ES modules' live bindings), so every read of
 * an import from another chunk calls one, until TurboFan inlines it: in a command's short life the
 * hot loops mostly run before that (~0.7 s of a 10k `ipam check -o`). Once the chunk has run, every
 * export has its final value (the sources export no `let`, eslint.config.js), so the chunks loaded
 * after it read plain properties. A chunk that requires this one while it is still running (a
 * cycle) keeps the getters, which stay right.
 */
function settled(live) {
  const plain = Object.defineProperty({}, '__esModule', { value: true });
  for (const key of Object.keys(live)) plain[key] = live[key];
  return plain;
}
