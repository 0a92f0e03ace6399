import { describe, expect, it } from 'vitest';

import { buildReport } from '../../../src/cli/render/apply-report.js';
import type { ResourceResult } from '../../../src/apply/engine.js';
import { mergePatch, parsePatch } from '../../../src/apply/merge-patch.js';
import { ConflictError, InputError, OperationError } from '../../../src/errors.js';

describe('merge patch', () => {
  it('merges objects, replaces lists and removes keys set to null', () => {
    const stored = {
      metadata: { name: 'p', labels: { a: '1' } },
      spec: { cidr: '10.0.0.0/24', allowedUses: ['Workload', 'Tunnel'], natOutgoing: true },
    };
    expect(
      mergePatch(stored, {
        metadata: { labels: { b: '2' } },
        spec: { allowedUses: ['Tunnel'], natOutgoing: null },
      }),
    ).toEqual({
      metadata: { name: 'p', labels: { a: '1', b: '2' } },
      spec: { cidr: '10.0.0.0/24', allowedUses: ['Tunnel'] },
    });
  });

  it('accepts only a JSON object', () => {
    expect(parsePatch('{"spec":{"blockSize":26}}')).toEqual({ spec: { blockSize: 26 } });
    expect(() => parsePatch('[1]')).toThrow(
      'performing strategic merge patch: the patch must be a JSON object',
    );
    expect(() => parsePatch('{"spec":')).toThrow(/^performing strategic merge patch: /);
  });
});

describe('report for patch, label and --atomic', () => {
  const ok: ResourceResult = { kind: 'Node', name: 'node1', outcome: 'updated' };
  it('prints calicoctl patch lines', () => {
    expect(buildReport('patch', [ok]).stdout).toBe("Successfully patched 1 'Node' resource\n");
    const failed = buildReport('patch', [
      {
        ...ok,
        outcome: 'failed',
        error: new OperationError('resource does not exist: Node(x) with error: <nil>'),
      },
    ]);
    expect(failed.stderr).toBe('hit error: resource does not exist: Node(x) with error: <nil>\n');
    expect(failed.exitCode).toBe(1);
    const unknown = buildReport('patch', [
      { ...ok, outcome: 'failed', error: new InputError('json: unknown field "bogus"') },
    ]);
    expect(unknown.stderr).toBe('field in document is not recognized or is in the wrong location: bogus\n');
  });

  it('prints calicoctl label lines', () => {
    const label = (action: 'set' | 'updated' | 'removed') =>
      buildReport('label', [{ ...ok, label: { action, key: 'app', target: 'nodes node1' } }]).stdout;
    expect(label('set')).toBe('Successfully set label app on nodes node1\n');
    expect(label('updated')).toBe('Successfully updated label app on nodes node1\n');
    expect(label('removed')).toBe('Successfully removed label app from nodes node1\n');
  });

  it('says nothing was written when an --atomic run failed', () => {
    const r = buildReport(
      'apply',
      [
        { kind: 'IPPool', name: 'a', outcome: 'aborted' },
        {
          kind: 'IPPool',
          name: 'b',
          outcome: 'failed',
          error: new ConflictError('update conflict: IPPool(b)'),
        },
      ],
      { atomic: true },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('apply --atomic failed; nothing was written: [update conflict: IPPool(b)]\n');
    expect(r.exitCode).toBe(4);
    expect(r.json).toMatchObject({ atomic: true, succeeded: 0, failed: 1 });
  });

  it('adds where bad input came from', () => {
    const r = buildReport('create', [
      {
        kind: 'IPPool',
        name: 'x',
        outcome: 'failed',
        source: { file: 'pools.yaml', document: 2 },
        error: new InputError('error with field IPPool.Spec.CIDR', { hint: 'fix it' }),
      },
    ]);
    expect(r.stderr).toBe(
      "failed to create 'IPPool' resource: [error with field IPPool.Spec.CIDR]\nhint: pools.yaml, document 2, IPPool 'x': fix it\n",
    );
  });
});
