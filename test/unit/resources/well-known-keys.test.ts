import { describe, expect, it } from 'vitest';

import { kindDescriptor, resourceKey, resourcePrefix } from '../../../src/resources/registry.js';
import * as keys from '../../../src/resources/well-known-keys.js';

const kind = (name: string) => {
  const d = kindDescriptor(name);
  if (!d) throw new Error(`no kind ${name}`);
  return d;
};

describe('well-known keys', () => {
  it('are the keys the resource registry gives', () => {
    expect(keys.CLUSTER_INFORMATION_KEY).toBe(resourceKey(kind('ClusterInformation'), 'default'));
    expect(keys.KUBE_CONTROLLERS_CONFIGURATION_KEY).toBe(
      resourceKey(kind('KubeControllersConfiguration'), 'default'),
    );
    expect(keys.IPPOOL_PREFIX).toBe(resourcePrefix(kind('IPPool')));
    expect(keys.IPRESERVATION_PREFIX).toBe(resourcePrefix(kind('IPReservation')));
    expect(keys.WORKLOAD_ENDPOINT_PREFIX).toBe(resourcePrefix(kind('WorkloadEndpoint')));
    expect(keys.NODE_PREFIX).toBe(resourcePrefix(kind('Node')));
    expect(keys.PROFILE_PREFIX).toBe(resourcePrefix(kind('Profile')));
  });
});
