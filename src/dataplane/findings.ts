/**
 * What node check reports: one finding per difference between the kernel and what the datastore
 * says it should hold. Codes are a contract (docs/node-check.md); subjects are spelled as `ip`
 * spells them.
 */

export type FindingCode =
  | 'route-missing'
  | 'route-mismatch'
  | 'route-unexpected'
  | 'blackhole-missing'
  | 'route-owner-conflict'
  | 'device-missing'
  | 'device-mismatch'
  | 'tunnel-address-mismatch'
  | 'neighbor-missing'
  | 'neighbor-stale'
  | 'fdb-missing'
  | 'fdb-stale'
  | 'workload-route-missing'
  | 'sysctl-mismatch'
  | 'node-unknown'
  | 'bird-unreachable'
  | 'peer-mismatch'
  | 'blackhole-conflict';

export type Area =
  | 'config'
  | 'routes'
  | 'devices'
  | 'neighbors'
  | 'fdb'
  | 'workloads'
  | 'sysctls'
  | 'bgp'
  | 'peers';

/** The order areas are printed in. */
export const AREAS: readonly Area[] = [
  'config',
  'bgp',
  'devices',
  'routes',
  'workloads',
  'neighbors',
  'fdb',
  'sysctls',
  'peers',
];

export interface Finding {
  code: FindingCode;
  severity: 'error' | 'warning';
  area: Area;
  subject: string;
  /** What the datastore says should be there, as `ip` would print it; null: nothing. */
  expected: string | null;
  /** What the kernel has; null: nothing. */
  actual: string | null;
  /** How to restore the expected state (an exact command), or which Calico component owns it. */
  hint: string;
  /** For cross-node findings: the node whose state is wrong, and the peer it disagrees with. */
  node?: string;
  peer?: string;
}

export interface CheckSummary {
  errors: number;
  warnings: number;
  checked: number;
}

export function summarize(findings: readonly Finding[], checked: number): CheckSummary {
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { errors, warnings: findings.length - errors, checked };
}

/** A finding that appeared since the previous check, or one that went away. */
export interface FindingChange {
  change: 'appeared' | 'resolved';
  finding: Finding;
}

/**
 * What changed between two checks: the findings of `after` not in `before` (appeared), then those of
 * `before` not in `after` (resolved). A finding whose expected or actual state changed is both.
 */
export function findingChanges(before: readonly Finding[], after: readonly Finding[]): FindingChange[] {
  const identity = (f: Finding): string => JSON.stringify(f);
  const had = new Set(before.map(identity));
  const has = new Set(after.map(identity));
  return [
    ...after
      .filter((f) => !had.has(identity(f)))
      .map((finding) => ({ change: 'appeared' as const, finding })),
    ...before
      .filter((f) => !has.has(identity(f)))
      .map((finding) => ({ change: 'resolved' as const, finding })),
  ];
}
