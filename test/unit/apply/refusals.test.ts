/** What the apply engine refuses from a kind's own rules (the kind's module says it, the engine names no kind). */
import { afterEach, describe, expect, it } from 'vitest';

import { ApplyEngine, type EngineItem } from '../../../src/apply/engine.js';
import { kindDescriptor } from '../../../src/resources/registry.js';
import { datastoreWith } from '../ipam/memory-datastore.js';

const POLICY_KEY = '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/p1';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("what a kind's own rules refuse", () => {
  it('refuses a NetworkPolicy under the Kubernetes policy prefix, with its hint, writing nothing', async () => {
    const { ds, cleanup } = await datastoreWith({});
    cleanups.push(cleanup);
    const [result] = await new ApplyEngine(ds).run('create', [
      {
        descriptor: kindDescriptor('NetworkPolicy')!,
        resource: {
          kind: 'NetworkPolicy',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name: 'knp.default.x', namespace: 'a' },
          spec: { selector: 'all()' },
        },
      },
    ]);
    expect(result!.outcome).toBe('failed');
    expect(result!.error?.message).toBe(
      'operation create or apply is not supported on NetworkPolicy(a/knp.default.x): kubernetes network policies must be managed through the kubernetes API',
    );
    expect(result!.error?.hint).toBe('choose a name that does not start with "knp.default."');
    expect(result!.error?.exitCode).toBe(5);
    expect(await ds.get('/calico/resources/v3/projectcalico.org/networkpolicies/a/knp.default.x')).toBe(
      undefined,
    );
  });

  const policyIn = (tier: string): EngineItem => ({
    descriptor: kindDescriptor('GlobalNetworkPolicy')!,
    resource: {
      kind: 'GlobalNetworkPolicy',
      apiVersion: 'projectcalico.org/v3',
      metadata: { name: 'p1' },
      spec: { tier, selector: 'all()' },
    },
  });

  it('refuses a policy whose tier does not exist', async () => {
    const { ds, cleanup } = await datastoreWith({});
    cleanups.push(cleanup);
    const [result] = await new ApplyEngine(ds).run('create', [policyIn('security')]);
    expect(result!.error?.message).toBe('resource does not exist: Tier(security) with error: <nil>');
    expect(await ds.get(POLICY_KEY)).toBe(undefined);
  });

  it('creates a policy whose tier is created earlier in the same --atomic transaction', async () => {
    const { ds, cleanup } = await datastoreWith({});
    cleanups.push(cleanup);
    const tier: EngineItem = {
      descriptor: kindDescriptor('Tier')!,
      resource: {
        kind: 'Tier',
        apiVersion: 'projectcalico.org/v3',
        metadata: { name: 'security' },
        spec: { order: 10 },
      },
    };
    const results = await new ApplyEngine(ds, { atomic: true }).run('create', [tier, policyIn('security')]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(await ds.get(POLICY_KEY)).toBeDefined();
  });
});
