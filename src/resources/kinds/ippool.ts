/**
 * IPPool (api/pkg/apis/projectcalico/v3/ippool.go; clientv3 ipPools): its Go layout, table
 * columns and the checks clientv3 and the validator run before a write. Its read defaults are in
 * ippool-read.ts, which `ipam show` loads without the registry; what a pool's create and delete do
 * to IPAM blocks is in src/apply/kinds/ippool.ts (IPAM sits above this layer).
 */
import { S } from '../../codec/go-json.js';
import { failure, selectorFailures, tagFailure } from '../field-rules.js';
import { cidrsOverlap, formatCIDR, parseCIDR } from '../ip.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { conditions, f, named, resource, str, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';
import { defaultIPPoolSpec, ippoolReadDefaults } from './ippool-read.js';

const ipPoolSpec = struct('IPPoolSpec', [
  f('cidr', S.string(), false),
  f('vxlanMode', str('v3.VXLANMode')),
  f('ipipMode', str('v3.IPIPMode')),
  f('natOutgoing', S.bool()),
  f('disabled', S.bool()),
  f('disableBGPExport', S.bool()),
  f('blockSize', S.int()),
  f('nodeSelector', S.string()),
  f('namespaceSelector', S.string()),
  f('ipip', struct('IPIPConfiguration', [f('enabled', S.bool()), f('mode', str('v3.EncapMode'))], true)),
  f('nat-outgoing', S.bool()),
  f('allowedUses', named(S.slice(str('v3.IPPoolAllowedUse')), '[]v3.IPPoolAllowedUse')),
  f('assignmentMode', str('*v3.AssignmentMode', true)),
]);

export const ippool: KindDescriptor = {
  ...naming('IPPool', 'ippools', ['ipp', 'ipps', 'pool', 'pools']),
  schema: resource('IPPool', ipPoolSpec, [f('status', struct('IPPoolStatus', [conditions], true))]),
  ps: [name, col('CIDR', spec('cidr')), col('SELECTOR', spec('nodeSelector'))],
  wide: [
    name,
    col('CIDR', spec('cidr')),
    col('NAT', spec('natOutgoing'), 'false'),
    col('IPIPMODE', spec('ipipMode'), 'Never'),
    col('VXLANMODE', spec('vxlanMode'), 'Never'),
    col('DISABLED', spec('disabled'), 'false'),
    col('DISABLEBGPEXPORT', spec('disableBGPExport'), 'false'),
    col('SELECTOR', spec('nodeSelector')),
    col('ASSIGNMENTMODE', spec('assignmentMode'), '<nil>'),
  ],
  readDefaults: ippoolReadDefaults,
  validate: (res) => validateIPPool(res, undefined, []),
  async validateWithStore(store, res, old, planned) {
    // Overlap is checked on create only, against the stored pools and those planned before it.
    const others = old ? [] : [...(await store.list(ippool)).items, ...planned];
    return validateIPPool(
      res,
      old,
      others.map((p) => ({ name: p.metadata.name ?? '', cidr: String(p.spec?.cidr ?? '') })),
    );
  },
};

const LINK_LOCAL_V4 = parseCIDR('169.254.0.0/16')!;
const LINK_LOCAL_V6 = parseCIDR('fe80::/10')!;
const ENCAP_MODES = ['Never', 'Always', 'CrossSubnet'];

export interface ExistingPool {
  name: string;
  cidr: string;
}

/** cidrChangeOK: the same text, or the canonical form of the same network. */
function cidrChangeOK(oldCIDR: string, newCIDR: string): boolean {
  if (oldCIDR === newCIDR) return true;
  const a = parseCIDR(oldCIDR);
  const b = parseCIDR(newCIDR);
  if (!a || !b) return false;
  return (
    a.network.version === b.network.version &&
    a.network.value === b.network.value &&
    a.prefix === b.prefix &&
    newCIDR === formatCIDR(b)
  );
}

/**
 * clientv3 ipPools.validateAndSetDefaults then the validator's IPPoolSpec checks. Normalises the
 * CIDR and fills defaults in place. `old` is the stored pool on update; `others` the other pools
 * (create only).
 */
export function validateIPPool(
  res: ResourceObject,
  old: ResourceObject | undefined,
  others: readonly ExistingPool[],
): ErroredField[] {
  const spec = (res.spec ??= {});
  const cidrText = typeof spec.cidr === 'string' ? spec.cidr : '';
  if (cidrText === '') return [{ name: 'IPPool.Spec.CIDR', reason: 'IPPool CIDR must be specified' }];
  const cidr = parseCIDR(cidrText);
  if (!cidr) return [failure('IPPool.Spec.CIDR', cidrText, 'IPPool CIDR must be a valid subnet')];
  spec.cidr = formatCIDR(cidr);
  defaultIPPoolSpec(spec);
  const errs: ErroredField[] = [];
  const fail = (field: string, value: unknown, reason: string) =>
    errs.push(failure(`IPPool.Spec.${field}`, value, reason));
  const oldSpec = old?.spec ?? {};
  if (old && !cidrChangeOK(String(oldSpec.cidr ?? ''), spec.cidr as string))
    fail('CIDR', spec.cidr, 'IPPool CIDR cannot be modified');
  const uses = spec.allowedUses as string[];
  if (old) {
    const oldUses = Array.isArray(oldSpec.allowedUses) ? (oldSpec.allowedUses as string[]) : [];
    if (oldUses.includes('LoadBalancer') && uses.some((u) => u !== 'LoadBalancer'))
      return [
        failure(
          'IPPool.Spec.AllowedUses',
          uses,
          'IPPool allowed use cannot be changed from LoadBalacer to Workload or Tunnel',
        ),
      ];
  }
  const blockSize = spec.blockSize as number;
  if (old && oldSpec.blockSize !== blockSize)
    fail('BlockSize', blockSize, 'IPPool BlockSize cannot be modified');
  if (cidr.ip.version === 4 && (blockSize > 32 || blockSize < 20))
    fail('BlockSize', blockSize, 'IPv4 block size must be between 20 and 32');
  if (cidr.ip.version === 6 && (blockSize > 128 || blockSize < 116))
    fail('BlockSize', blockSize, 'IPv6 block size must be between 116 and 128');
  if (!spec.disabled && cidr.prefix > blockSize)
    fail(
      'CIDR',
      spec.cidr,
      'IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.',
    );
  if (!old) {
    for (const other of others) {
      if (other.name === res.metadata.name) continue;
      const otherCIDR = parseCIDR(other.cidr);
      if (otherCIDR && cidrsOverlap(otherCIDR, cidr))
        fail(
          'CIDR',
          spec.cidr,
          `IPPool(${res.metadata.name ?? ''}) CIDR overlaps with IPPool(${other.name}) CIDR ${other.cidr}`,
        );
    }
  }
  if (spec.vxlanMode !== 'Never' && spec.ipipMode !== 'Never')
    fail('VXLANMode', spec.vxlanMode, 'Cannot enable both VXLAN and IPIP on the same IPPool');
  if (cidr.ip.version === 6 && spec.ipipMode !== 'Never')
    fail('IPIPMode', spec.ipipMode, 'IPIP is not supported on an IPv6 IP pool');
  if (cidr.ip.value !== cidr.network.value) fail('CIDR', spec.cidr, 'IPPool CIDR is not strictly masked');
  if (cidrsOverlap(cidr, LINK_LOCAL_V4))
    fail('CIDR', spec.cidr, 'IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16');
  if (cidrsOverlap(cidr, LINK_LOCAL_V6))
    fail('CIDR', spec.cidr, 'IPPool CIDR overlaps with IPv6 Link Local range fe80::/10');
  if (errs.length > 0) return errs;
  return validateIPPoolSpecTags(spec);
}

/** The v3 validator's field tags and validateIPPoolSpec extras, after clientv3's checks passed. */
function validateIPPoolSpecTags(spec: Record<string, unknown>): ErroredField[] {
  const errs: ErroredField[] = selectorFailures([
    ['NodeSelector', spec.nodeSelector],
    ['NamespaceSelector', spec.namespaceSelector],
  ]);
  const fail = (field: string, value: unknown, reason: string) =>
    errs.push(failure(`IPpool.${field}`, value, reason));
  if (!ENCAP_MODES.includes(spec.vxlanMode as string))
    errs.push(tagFailure('VXLANMode', spec.vxlanMode, 'vxlanMode'));
  if (!ENCAP_MODES.includes(spec.ipipMode as string))
    errs.push(tagFailure('IPIPMode', spec.ipipMode, 'ipIpMode'));
  if (!['Automatic', 'Manual'].includes(spec.assignmentMode as string))
    errs.push(tagFailure('AssignmentMode', spec.assignmentMode, 'assignmentMode'));
  if (spec.ipip !== undefined) errs.push(tagFailure('IPIP', spec.ipip, 'mustBeNil'));
  if (spec['nat-outgoing']) errs.push(tagFailure('NATOutgoingV1', true, 'mustBeFalse'));
  const uses = spec.allowedUses as string[];
  const isLB = uses.includes('LoadBalancer');
  const enabled = (m: unknown) => m === 'Always' || m === 'CrossSubnet';
  if (isLB && (enabled(spec.ipipMode) || enabled(spec.vxlanMode)))
    fail(
      'IPIPMode',
      spec.ipipMode,
      'Neither IPIPMode nor VXLANMode can be enabled on AllowedUses LoadBalancer IP pool',
    );
  for (const use of uses) {
    if (use === 'LoadBalancer') continue;
    if (use !== 'Workload' && use !== 'Tunnel') fail('AllowedUses', uses, `unknown use: ${use}`);
    else if (isLB) fail('AllowedUses', uses, `LoadBalancer cannot be used at the same time as: ${use}`);
  }
  if (isLB && spec.disableBGPExport)
    fail(
      'DisableBGPExport',
      spec.cidr,
      'IP Pool with AllowedUse LoadBalancer must have DisableBGPExport set to true',
    );
  if (isLB && spec.nodeSelector !== 'all()')
    fail(
      'NodeSelector',
      spec.cidr,
      'IP Pool with AllowedUse LoadBalancer must have node selector set to all()',
    );
  if (uses.includes('Tunnel') && spec.namespaceSelector)
    fail(
      'NamespaceSelector',
      spec.namespaceSelector,
      'IP Pool with AllowedUse Tunnel cannot have namespaceSelector specified - tunnel IPs are not namespaced resources',
    );
  if (typeof spec.nodeSelector === 'string' && spec.nodeSelector.includes('global('))
    fail(
      'NodeSelector',
      spec.nodeSelector,
      'global() selector is not valid for IPPool nodeSelector - use all() instead',
    );
  if (typeof spec.namespaceSelector === 'string' && spec.namespaceSelector.includes('global('))
    fail(
      'NamespaceSelector',
      spec.namespaceSelector,
      'global() selector is not valid for IPPool namespaceSelector - use all() instead',
    );
  return errs;
}
