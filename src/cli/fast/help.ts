/**
 * Help without oclif: the text oclif's Help class printed at build time for every argv that asks
 * for help, used only where oclif would print exactly that text (stdout not a terminal, so width 80
 * and no colour). Anything else returns undefined and oclif renders the help itself.
 */
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';

import type { FastData } from './spec.js';

export function helpText(
  data: FastData,
  argv: readonly string[],
  env: Record<string, string | undefined>,
  stdoutIsTTY: boolean,
): string | undefined {
  const text = data.help[JSON.stringify(argv)];
  if (text === undefined) return undefined;
  // oclif takes the width from OCLIF_COLUMNS or the terminal, and colours when forced to.
  if (stdoutIsTTY || env.OCLIF_COLUMNS || 'FORCE_COLOR' in env) return undefined;
  if (!text.includes(data.agentPlaceholder)) return text;
  const agent = userAgent(data.agentPrefix);
  // A longer line would be wrapped, which the text rendered at build time does not show.
  if (agent === undefined || agent.length > data.width - 2) return undefined;
  return text.replace(data.agentPlaceholder, agent);
}

/** oclif's Config.userAgent; undefined where oclif's platform could be "wsl". */
function userAgent(prefix: string): string | undefined {
  if (platform() === 'linux' && mentionsMicrosoft()) return undefined;
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  return `${prefix} ${platform()}-${cpu} node-${process.version}`;
}

function mentionsMicrosoft(): boolean {
  if (release().toLowerCase().includes('microsoft')) return true;
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft');
  } catch {
    return false;
  }
}
