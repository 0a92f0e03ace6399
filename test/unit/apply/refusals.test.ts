/** What the apply engine refuses from a kind's own rules (the kind's module says it, the engine names no kind). */
import { afterEach, describe, expect, it } from 'vitest';

import { ApplyEngine } from '../../../src/apply/engine.js';
import { kindDescriptor } from '../../../src/resources/registry.js';
import { datastoreWith } from '../ipam/memory-datastore.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('per-object refusals', () => {
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
});
