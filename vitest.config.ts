import { defineConfig } from 'vitest/config';

import { KubernetesLastSequencer } from './test/setup/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The run's own TMPDIR and id, and the check that nothing of the run is left at the end.
    globalSetup: ['test/setup/run.ts'],
    // Every test file's temporary directories go when its tests are done.
    setupFiles: ['test/setup/each-file.ts'],
    // The Kubernetes-datastore files last: they may wait for kube-apiserver's first build.
    sequence: { sequencer: KubernetesLastSequencer },
    // Integration tests start real etcd and BIRD processes: keep parallelism to the two cores.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
