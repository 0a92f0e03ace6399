/** The one contract suite, against the embedded store and against a real etcd. */
import { join } from 'node:path';

import { loadClientConfig } from '../../../src/config/load.js';
import { openEmbeddedBackend } from '../../../src/datastore/embedded/backend.js';
import { openEtcdBackend } from '../../../src/datastore/etcd/backend.js';
import { tempDir } from '../../helpers/temp.js';
import { startEtcd } from '../../helpers/etcd-server.js';
import { describeContract } from './contract-suite.js';

describeContract('embedded', async () => {
  const dir = tempDir('calicoctl-ts-contract-');
  const path = join(dir, 'store', 'calico.db');
  return {
    connect: () => openEmbeddedBackend({ path, source: 'test', timeoutMs: 5000 }),
    // The directory goes with the test file (tempDir); there is no process to stop.
    stop: async () => {},
  };
});

describeContract('etcd', async () => {
  const etcd = await startEtcd();
  const config = loadClientConfig({ env: etcd.env });
  return {
    connect: () => openEtcdBackend(config.etcd!, { timeoutMs: 5000, source: 'environment' }),
    stop: () => etcd.stop(),
  };
});
