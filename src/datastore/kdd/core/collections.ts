/** The core Kubernetes collections (`/api/v1/...`) the core-object kinds are stored in. */
import type { KubeCollection } from '../mapping.js';

const core = (plural: string, kind: string, namespaced: boolean): KubeCollection => ({
  group: '',
  version: 'v1',
  plural,
  kind,
  namespaced,
});

export const NODES = core('nodes', 'Node', false);
export const PODS = core('pods', 'Pod', true);
export const NAMESPACES = core('namespaces', 'Namespace', false);
export const SERVICE_ACCOUNTS = core('serviceaccounts', 'ServiceAccount', true);
