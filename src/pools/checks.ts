/**
 * The checks run before an encapsulation change is written, each saying what will break and how
 * to fix it. Errors are the IPPool rules apply enforces (src/resources/kinds/ippool.ts, the one source
 * of truth) and can never be skipped; warnings are refused unless --force; notices are reported
 * and never refuse.
 */
import { parseCIDR } from '../resources/ip.js';
import { parseSelector, SelectorError } from '../resources/selector.js';
import { erroredFieldText, type ResourceObject } from '../resources/types.js';
import { validateIPPool } from '../resources/kinds/ippool.js';
import { validateMetadata } from '../resources/validate.js';
import { isOn, type Encapsulation } from './encap.js';
import type { ClusterFacts, NodeFacts } from './facts.js';

export type Severity = 'error' | 'warning' | 'notice';

export type CheckCode = 'InvalidPool' | 'CrossSubnetWithoutSubnet' | 'NoRouting' | 'TunnelAddressMissing';

export interface Check {
  severity: Severity;
  code: CheckCode;
  pool: string;
  message: string;
  fix: string;
  /**
   * The nodes the check is about: of the nodes the pool's nodeSelector selects, all those affected
   * (also when the message names only the first few).
   */
  nodes?: string[];
}

const NAMED_NODES = 5;

function nodeList(names: readonly string[]): string {
  const shown = names.slice(0, NAMED_NODES).join(', ');
  return names.length > NAMED_NODES ? `${shown} and ${names.length - NAMED_NODES} more` : shown;
}

/**
 * The nodes that can get addresses from the pool: those its nodeSelector selects (empty = all(),
 * as Calico stores it). An unparsable selector is already an InvalidPool error from
 * validateCandidate; until it is fixed every node is the assumption that hides nothing.
 */
function selectedNodes(
  pool: ResourceObject,
  nodes: readonly NodeFacts[],
): { selector: string; nodes: NodeFacts[] } {
  const written = pool.spec?.nodeSelector;
  const selector = typeof written === 'string' && written.trim() !== '' ? written : 'all()';
  try {
    const parsed = parseSelector(selector);
    return { selector, nodes: nodes.filter((n) => parsed.matches(n.labels)) };
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    return { selector, nodes: [...nodes] };
  }
}

/** "1 of 3 selected node(s) (nodeSelector zone == 'a') have ...: n2" */
function affected(names: readonly string[], selected: { selector: string; nodes: readonly NodeFacts[] }) {
  return {
    count: `${names.length} of ${selected.nodes.length} selected node(s) (nodeSelector ${selected.selector})`,
    list: nodeList(names),
  };
}

/** The pool as it would be stored with the new modes, and the apply rules it breaks. */
export function validateCandidate(
  pool: ResourceObject,
  after: Encapsulation,
): { candidate: ResourceObject; checks: Check[] } {
  const candidate = structuredClone(pool);
  candidate.spec = { ...candidate.spec, ipipMode: after.ipipMode, vxlanMode: after.vxlanMode };
  const name = pool.metadata.name ?? '';
  const fields = [...validateIPPool(candidate, pool, []), ...validateMetadata(candidate)];
  const checks = fields.map(
    (f): Check => ({
      severity: 'error',
      code: 'InvalidPool',
      pool: name,
      message: `IPPool(${name}): error with field ${erroredFieldText(f)}`,
      fix:
        f.name === 'IPPool.Spec.IPIPMode'
          ? 'IPv6 pools cannot use IPIP: use --vxlan=Always or --vxlan=CrossSubnet (with --ipip=Never)'
          : `Calico would refuse this pool; fix it first (see 'calicoctl-ts get ippool ${name} -o yaml' and docs/resources.md)`,
    }),
  );
  return { candidate, checks };
}

/** The warnings and notices for one pool whose modes change from before to after. */
export function encapChecks(
  pool: ResourceObject,
  before: Encapsulation,
  after: Encapsulation,
  facts: ClusterFacts,
): Check[] {
  const name = pool.metadata.name ?? '';
  const version = parseCIDR(String(pool.spec?.cidr ?? ''))?.ip.version ?? 4;
  const checks: Check[] = [];
  const selected = selectedNodes(pool, facts.nodes);

  const crossSubnetNew =
    (after.ipipMode === 'CrossSubnet' && before.ipipMode !== 'CrossSubnet') ||
    (after.vxlanMode === 'CrossSubnet' && before.vxlanMode !== 'CrossSubnet');
  if (crossSubnetNew) {
    const field = version === 4 ? 'ipv4Address' : 'ipv6Address';
    const noSubnet = selected.nodes.filter((n) => !n[field]?.includes('/')).map((n) => n.name);
    const { count, list } = affected(noSubnet, selected);
    if (noSubnet.length > 0)
      checks.push({
        severity: 'warning',
        code: 'CrossSubnetWithoutSubnet',
        pool: name,
        nodes: noSubnet,
        message: `IPPool(${name}) CrossSubnet: ${count} have no subnet in spec.bgp.${field} (no prefix length): ${list}; Calico cannot tell which peers share their subnet`,
        fix: `set spec.bgp.${field} to ADDRESS/PREFIX on those nodes (calico-node's IP autodetection does), or use Always`,
      });
  }

  const encapBefore = isOn(before.ipipMode) || isOn(before.vxlanMode);
  const encapAfter = isOn(after.ipipMode) || isOn(after.vxlanMode);
  if (encapBefore && !encapAfter && !facts.meshEnabled && facts.peerCount === 0)
    checks.push({
      severity: 'warning',
      code: 'NoRouting',
      pool: name,
      message: `IPPool(${name}) would have no encapsulation while BGP is off (nodeToNodeMeshEnabled is false and there are no BGPPeers): workloads on different nodes could not reach each other`,
      fix: 'enable the node-to-node mesh in BGPConfiguration default or add BGPPeers first, or keep an encapsulation',
    });

  const tunnel = (
    mode: 'ipip' | 'vxlan',
    field: keyof Omit<NodeFacts, 'name' | 'labels' | 'ipv4Address' | 'ipv6Address'>,
    where: string,
  ) => {
    const missing = selected.nodes.filter((n) => n[field] === undefined).map((n) => n.name);
    if (missing.length === 0) return;
    const { count, list } = affected(missing, selected);
    checks.push({
      severity: 'notice',
      code: 'TunnelAddressMissing',
      pool: name,
      nodes: missing,
      message: `IPPool(${name}) ${mode === 'ipip' ? 'IPIP' : 'VXLAN'}: ${count} have no ${where}: ${list}; calico-node will allocate one from an enabled ${mode === 'ipip' ? 'IPIP' : 'VXLAN'} pool`,
      fix: `check that calico-node runs on those nodes, then that 'calicoctl-ts get node NAME -o yaml' shows ${where}`,
    });
  };
  if (isOn(after.ipipMode) && !isOn(before.ipipMode) && version === 4)
    tunnel('ipip', 'ipv4IPIPTunnelAddr', 'spec.bgp.ipv4IPIPTunnelAddr');
  if (isOn(after.vxlanMode) && !isOn(before.vxlanMode)) {
    if (version === 4) tunnel('vxlan', 'ipv4VXLANTunnelAddr', 'spec.ipv4VXLANTunnelAddr');
    else tunnel('vxlan', 'ipv6VXLANTunnelAddr', 'spec.ipv6VXLANTunnelAddr');
  }
  return checks;
}

/** The checks that stop the write: errors always, warnings unless forced. */
export function blockingChecks(checks: readonly Check[], force: boolean): Check[] {
  return checks.filter((c) => c.severity === 'error' || (c.severity === 'warning' && !force));
}
