/**
 * Help without oclif: the text oclif's Help class printed at build time for every argv that asks
 * for help, used only where oclif would print exactly that text (stdout not a terminal, so width 80
 * and no colour). Anything else returns undefined and oclif renders the help itself.
 */
import { readFileSync } from 'node:fs';

import type { FastData } from './spec.js';

/**
 * stdoutIsTTY is asked only for an argv that asks for help; read gives the text stored at a place
 * data.help names (undefined if it cannot be read).
 */
export function helpText(
  data: FastData,
  argv: readonly string[],
  env: Record<string, string | undefined>,
  stdoutIsTTY: () => boolean,
  read: (at: readonly [number, number]) => string | undefined,
): string | undefined {
  const at = data.help[JSON.stringify(argv)];
  if (at === undefined) return undefined;
  // oclif takes the width from OCLIF_COLUMNS or the terminal, and colours when forced to.
  if (env.OCLIF_COLUMNS || 'FORCE_COLOR' in env || stdoutIsTTY()) return undefined;
  const text = read(at);
  if (text === undefined) return undefined;
  if (!text.includes(data.agentPlaceholder)) return text;
  const agent = userAgent(data.agentPrefix);
  // A longer line would be wrapped, which the text rendered at build time does not show.
  if (agent === undefined || agent.length > data.width - 2) return undefined;
  return text.replace(data.agentPlaceholder, agent);
}

/**
 * oclif's Config.userAgent (os.platform() and os.arch() are process.platform and process.arch);
 * undefined where oclif's platform could be "wsl".
 */
function userAgent(prefix: string): string | undefined {
  const { platform, arch } = process;
  if (platform === 'linux' && mightBeWsl()) return undefined;
  return `${prefix} ${platform}-${arch === 'ia32' ? 'x86' : arch} node-${process.version}`;
}

/**
 * oclif says "wsl" when os.release() or /proc/version mentions Microsoft. /proc/version begins with
 * the release os.release() gives, so it alone decides; unreadable, it cannot rule WSL out.
 */
function mightBeWsl(): boolean {
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft');
  } catch {
    return true;
  }
}
