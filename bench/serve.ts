/**
 * `node bench/run.js serve [--blocks 10000] [--leaks] [--embedded FILE] [--seed N]`: a throwaway etcd
 * loaded with a benchmark dataset (and, with --embedded, an embedded store file with the same data)
 * that stays up until interrupted, so that one command can be profiled against it by hand
 * (`node --cpu-prof bin/run.js ...`) without paying the load for every profile. Prints the
 * environment to use on stdout; removes everything it made on SIGINT or SIGTERM.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { DEFAULT_SEED, emptyStats, generateDataset } from './dataset.js';
import { startBenchEtcd } from './etcd.js';
import { loadIntoEmbedded, loadIntoEtcd } from './load.js';

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      blocks: { type: 'string', default: '10000' },
      leaks: { type: 'boolean', default: false },
      embedded: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const options = {
    blocks: Number(values.blocks),
    leaks: values.leaks,
    seed: values.seed ? Number(values.seed) : DEFAULT_SEED,
  };
  const etcd = await startBenchEtcd();
  const stop = async (): Promise<void> => {
    await etcd.stop();
    if (values.embedded) rmSync(values.embedded, { force: true });
  };
  try {
    const stats = emptyStats();
    const load = await loadIntoEtcd(etcd.endpoint, generateDataset(options, stats));
    process.stderr.write(
      `etcd: ${load.keys} keys in ${load.seconds.toFixed(1)} s; ${JSON.stringify(stats)}\n`,
    );
    if (values.embedded) {
      const embedded = await loadIntoEmbedded(values.embedded, generateDataset(options));
      process.stderr.write(`embedded: ${embedded.keys} keys in ${embedded.seconds.toFixed(1)} s\n`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  process.stdout.write(
    `DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=${etcd.endpoint}\n` +
      (values.embedded ? `DATASTORE_TYPE=embedded EMBEDDED_DATASTORE_PATH=${values.embedded}\n` : ''),
  );
  // Until interrupted (a pending promise alone would not keep Node running).
  const alive = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(alive);
  await stop();
  return 0;
}
