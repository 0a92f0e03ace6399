/**
 * The keys and prefixes that commands read directly, spelled once. They follow the registry's
 * layout (resourceKey, resourcePrefix) and test/unit/resources/well-known-keys.test.ts checks that
 * they agree; they live apart from the registry so that `version` and `ipam show`, which start on
 * the fast path, do not load it.
 */
/** Where every v3 resource is stored (calico.md §1.1). */
export const RESOURCES = '/calico/resources/v3/projectcalico.org/';

export const CLUSTER_INFORMATION_KEY = `${RESOURCES}clusterinformations/default`;
export const KUBE_CONTROLLERS_CONFIGURATION_KEY = `${RESOURCES}kubecontrollersconfigurations/default`;
export const IPPOOL_PREFIX = `${RESOURCES}ippools/`;
export const IPRESERVATION_PREFIX = `${RESOURCES}ipreservations/`;
export const WORKLOAD_ENDPOINT_PREFIX = `${RESOURCES}workloadendpoints/`;
export const NODE_PREFIX = `${RESOURCES}nodes/`;
export const PROFILE_PREFIX = `${RESOURCES}profiles/`;
