// Preloaded with NODE_OPTIONS=--import: records, one a line in the file named by LOAD_TRACE_FILE,
// every module URL the ES module loader resolves and every file read with fs.readFileSync, which is
// how CommonJS modules (node_modules, the fast path's bundle files loaded by bin/run.js) are read.
// Tests check that the fast path never loads oclif, and what each command loads.
import fs from 'node:fs';
import { register } from 'node:module';

register('./load-trace-hooks.js', import.meta.url);

const readFileSync = fs.readFileSync;
fs.readFileSync = function tracedReadFileSync(path, ...rest) {
  if (process.env.LOAD_TRACE_FILE && (typeof path === 'string' || path instanceof URL))
    fs.appendFileSync(process.env.LOAD_TRACE_FILE, `${String(path)}\n`);
  return readFileSync.call(this, path, ...rest);
};
