/**
 * The node name, in calico-node's order: --node, NODENAME, /var/lib/calico/nodename, HOSTNAME
 * (lower-cased), the OS hostname (lower-cased).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import type { NodeSource } from './kernel-state.js';

export const NODENAME_FILE = '/var/lib/calico/nodename';

export interface NodeNameInputs {
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** Reads NODENAME_FILE; undefined when it does not exist or is unreadable. */
  readNodenameFile?: () => string | undefined;
  osHostname?: () => string;
}

export function resolveNodeName(inputs: NodeNameInputs): { node: string; nodeSource: NodeSource } {
  if (inputs.flag) return { node: inputs.flag, nodeSource: 'flag' };
  const fromEnv = inputs.env['NODENAME']?.trim();
  if (fromEnv) return { node: fromEnv, nodeSource: 'NODENAME' };
  const fromFile = (inputs.readNodenameFile ?? readNodenameFile)()?.trim();
  if (fromFile) return { node: fromFile, nodeSource: NODENAME_FILE };
  const fromHostnameVar = inputs.env['HOSTNAME']?.trim();
  if (fromHostnameVar) return { node: fromHostnameVar.toLowerCase(), nodeSource: 'HOSTNAME' };
  return { node: (inputs.osHostname ?? hostname)().toLowerCase(), nodeSource: 'hostname' };
}

function readNodenameFile(): string | undefined {
  try {
    return readFileSync(NODENAME_FILE, 'utf8');
  } catch {
    return undefined;
  }
}
