/**
 * Re-captures test/fixtures/dataplane/ (the unit tests' kernel states and datastore snapshot) from
 * a freshly built VXLAN lab: `npm run build && npx vite-node test/integration/dataplane/capture-fixtures.ts`
 * (root: it makes network namespaces). Not a test; nothing runs it in CI.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadClientConfig } from '../../../src/config/load.js';
import { readClusterState } from '../../../src/dataplane/cluster-state.js';
import { openDatastore } from '../../../src/datastore/open.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { buildCluster, NODES, programFelixVxlan } from './cluster.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'dataplane');
const cluster = await buildCluster({ vxlanMode: 'Always' });
try {
  for (const plan of NODES) programFelixVxlan(cluster, plan.name, 'Always');
  for (const plan of NODES) {
    const file = join(FIXTURES, `vxlan-${plan.name}.json`);
    const node = cluster.nodes.get(plan.name)!;
    const r = await cluster.lab.runCli(
      node,
      ['node', 'check', '--node', plan.name, '--save', file],
      cluster.env,
    );
    if (r.code !== 0) throw new Error(`node check on ${plan.name} exited ${r.code}: ${r.stdout}${r.stderr}`);
    chmodSync(file, 0o644);
  }
  const ds = await openDatastore(loadClientConfig({ env: cluster.env }), { timeoutMs: 5000 });
  try {
    const state = await readClusterState(
      ds,
      NODES.map((n) => n.name),
    );
    writeFileSync(join(FIXTURES, 'vxlan-cluster.json'), JSON.stringify(state, null, 2) + '\n');
  } finally {
    await ds.close();
  }
} finally {
  await cluster.lab.cleanup();
}
