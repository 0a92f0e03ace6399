/**
 * Encapsulation modes of an IPPool (spec.ipipMode, spec.vxlanMode) and how the --ipip/--vxlan
 * flags turn into the pair of modes to store. Pure: no datastore.
 */
import { InputError } from '../errors.js';

export const ENCAP_MODES = ['Always', 'CrossSubnet', 'Never'] as const;
export type EncapMode = (typeof ENCAP_MODES)[number];

export interface Encapsulation {
  ipipMode: EncapMode;
  vxlanMode: EncapMode;
}

/** What the user asked for; a flag not given is undefined. */
export interface EncapRequest {
  ipip?: EncapMode;
  vxlan?: EncapMode;
}

const SPELLINGS: Record<string, EncapMode> = {
  always: 'Always',
  crosssubnet: 'CrossSubnet',
  'cross-subnet': 'CrossSubnet',
  never: 'Never',
};

/** Parses one flag value; the mode names are accepted in any case, as calico-node's env vars are. */
export function parseEncapMode(flag: '--ipip' | '--vxlan', value: string): EncapMode {
  const mode = SPELLINGS[value.toLowerCase()];
  if (!mode)
    throw new InputError(`${flag}=${value} is not an encapsulation mode`, {
      code: 'InvalidFlag',
      hint: `use ${flag}=Always, ${flag}=CrossSubnet or ${flag}=Never`,
    });
  return mode;
}

export function parseEncapRequest(flags: { ipip?: string; vxlan?: string }): EncapRequest {
  const req: EncapRequest = {};
  if (flags.ipip !== undefined) req.ipip = parseEncapMode('--ipip', flags.ipip);
  if (flags.vxlan !== undefined) req.vxlan = parseEncapMode('--vxlan', flags.vxlan);
  if (req.ipip && req.vxlan && req.ipip !== 'Never' && req.vxlan !== 'Never')
    throw new InputError(
      `--ipip=${req.ipip} and --vxlan=${req.vxlan} would enable both encapsulations on one pool`,
      { code: 'InvalidFlag', hint: 'Calico allows one of IPIP and VXLAN per pool: set the other to Never' },
    );
  return req;
}

export function isOn(mode: EncapMode): boolean {
  return mode !== 'Never';
}

/** The stored modes of a pool spec, with Calico's read default (empty = Never). */
export function encapOf(spec: Record<string, unknown> | undefined): Encapsulation {
  const mode = (v: unknown): EncapMode =>
    typeof v === 'string' && (ENCAP_MODES as readonly string[]).includes(v) ? (v as EncapMode) : 'Never';
  return { ipipMode: mode(spec?.ipipMode), vxlanMode: mode(spec?.vxlanMode) };
}

/**
 * The modes a pool ends up with. Turning one encapsulation on turns the other off in the same
 * write (so the pool never has both); turning the only one off without naming the other is
 * refused, because that silently leaves the pool with no encapsulation.
 */
export function resolveEncap(poolName: string, current: Encapsulation, req: EncapRequest): Encapsulation {
  let ipipMode = req.ipip ?? current.ipipMode;
  let vxlanMode = req.vxlan ?? current.vxlanMode;
  if (req.ipip !== undefined && req.vxlan === undefined && isOn(req.ipip)) vxlanMode = 'Never';
  if (req.vxlan !== undefined && req.ipip === undefined && isOn(req.vxlan)) ipipMode = 'Never';
  const wasOn = isOn(current.ipipMode) || isOn(current.vxlanMode);
  const bothNamed = req.ipip !== undefined && req.vxlan !== undefined;
  if (wasOn && !isOn(ipipMode) && !isOn(vxlanMode) && !bothNamed) {
    const other = req.ipip !== undefined ? '--vxlan' : '--ipip';
    throw new InputError(
      `IPPool(${poolName}) would be left with neither IPIP nor VXLAN (plain BGP routing)`,
      {
        code: 'InvalidFlag',
        hint: `to switch to plain BGP say so with --ipip=Never --vxlan=Never; to switch encapsulation give ${other}=Always or ${other}=CrossSubnet`,
      },
    );
  }
  return { ipipMode, vxlanMode };
}

export function sameEncap(a: Encapsulation, b: Encapsulation): boolean {
  return a.ipipMode === b.ipipMode && a.vxlanMode === b.vxlanMode;
}
