/**
 * Opens the etcd datastore the environment names and writes before anything is read, so that the
 * first call is a Txn (the lean client's connection opened by a write), prints the error, closes
 * the datastore and leaves the process to end by itself: the outage test measures when it does.
 * Usage: write-first-worker (DATASTORE_TYPE and ETCD_ENDPOINTS from the environment)
 */
import { loadClientConfig } from '../../../src/config/load.js';
import { openDatastore } from '../../../src/datastore/open.js';

const config = loadClientConfig({ env: process.env, defaultConfigFile: '/nonexistent/calicoctl.cfg' });
const ds = await openDatastore(config, { timeoutMs: 1000 });
try {
  await ds.create('/calico/test/write-first', 'x');
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 3;
} finally {
  await ds.close();
}
