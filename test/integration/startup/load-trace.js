// Preloaded with NODE_OPTIONS=--import: records every module URL the ESM loader resolves, one a
// line, in the file named by LOAD_TRACE_FILE (tests check that the fast path never loads oclif).
import { register } from 'node:module';

register('./load-trace-hooks.js', import.meta.url);
