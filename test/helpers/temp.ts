/**
 * Temporary files for tests. A directory made here (or a file a helper hands over) belongs to the test
 * file that made it and is removed when that file's tests are done (test/setup/each-file.ts), so no
 * test has to remember to.
 * The test run gives every worker its own TMPDIR root (test/setup/run.ts), checked empty at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A fresh directory under the run's temp root, removed when the test file ends. */
export function tempDir(prefix = 'calicoctl-ts-test-'): string {
  return removeWhenFileEnds(mkdtempSync(join(tmpdir(), prefix)));
}

/** Hands a file or directory a helper made to the test file's cleanup; returns the path. */
export function removeWhenFileEnds(path: string): string {
  made.add(path);
  return path;
}

/** Removes everything handed to removeWhenFileEnds in this test file. */
export function removeTempDirs(): void {
  for (const path of made) rmSync(path, { recursive: true, force: true });
  made.clear();
}
