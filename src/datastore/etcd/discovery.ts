/**
 * Endpoints from the configuration, or from DNS SRV discovery (ETCD_DISCOVERY_SRV) as etcd's Go
 * client does it: `_etcd-client-ssl._tcp.<domain>` gives https:// endpoints, `_etcd-client._tcp.<domain>`
 * gives http:// endpoints.
 */
import { Resolver } from 'node:dns/promises';

import type { EtcdConfig } from '../../config/types.js';
import { InputError, UnreachableError } from '../../errors.js';

export interface SrvRecord {
  name: string;
  port: number;
}

export type SrvLookup = (name: string) => Promise<SrvRecord[]>;

export async function resolveEndpoints(
  cfg: EtcdConfig,
  opts: { timeoutMs: number; source: string },
  lookup?: SrvLookup,
): Promise<string[]> {
  if (cfg.discoverySrv === undefined) return cfg.endpoints;
  const domain = cfg.discoverySrv;
  const where = `${cfg.settingNames.etcdDiscoverySrv} from ${opts.source}`;
  const srv = lookup ?? systemLookup(opts.timeoutMs);
  const found = async (scheme: string, name: string): Promise<string[]> => {
    try {
      const records = await srv(name);
      return records.map((r) => `${scheme}://${r.name.replace(/\.$/, '')}:${r.port}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw new UnreachableError(`cannot look up SRV records ${name} (${where}): ${code ?? String(err)}`, {
        code: 'EtcdDiscoveryFailed',
      });
    }
  };
  const secure = await found('https', `_etcd-client-ssl._tcp.${domain}`);
  const endpoints = secure.length > 0 ? secure : await found('http', `_etcd-client._tcp.${domain}`);
  if (endpoints.length === 0) {
    throw new InputError(`no etcd endpoints found by SRV discovery for '${domain}' (${where})`, {
      code: 'InvalidConfig',
      hint: `publish _etcd-client-ssl._tcp.${domain} or _etcd-client._tcp.${domain}, or set ETCD_ENDPOINTS instead`,
    });
  }
  return endpoints;
}

function systemLookup(timeoutMs: number): SrvLookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return async (name) => (await resolver.resolveSrv(name)).map((r) => ({ name: r.name, port: r.port }));
}
