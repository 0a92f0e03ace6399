/** Runs in every test file: what the file's helpers made temporarily goes when its tests are done. */
import { afterAll } from 'vitest';

import { removeTempDirs } from '../helpers/temp.js';

afterAll(removeTempDirs);
