/** splitList: a list page's items found in its bytes, each parsed only when asked for. */
import { describe, expect, it } from 'vitest';

import { splitList } from '../../../src/datastore/kdd/list-items.js';

/** A page as kube-apiserver writes a CR list (keys sorted: apiVersion, items, kind, metadata). */
const page = JSON.stringify(
  {
    apiVersion: 'crd.projectcalico.org/v1',
    items: [
      {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPAMBlock',
        metadata: { name: '10-0-0-0-26', resourceVersion: '41' },
        spec: {
          cidr: '10.0.0.0/26',
          allocations: [0, null],
          attributes: [{ handle_id: 'a}]"\\{', secondary: { pod: 'ünï' } }],
        },
      },
      {
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'IPAMBlock',
        metadata: { name: 'x', resourceVersion: '42' },
        spec: {},
      },
    ],
    kind: 'IPAMBlockList',
    metadata: { continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', remainingItemCount: 3, resourceVersion: '57' },
  },
  null,
  2,
);

describe('splitList', () => {
  it('finds each item and the list metadata, strings with brackets, escapes and UTF-8 included', () => {
    const list = splitList<Record<string, unknown>>(Buffer.from(page));
    const parsed = JSON.parse(page) as { items: unknown[]; metadata: unknown };
    expect(list.length).toBe(2);
    expect(list.item(0)).toEqual(parsed.items[0]);
    expect(list.item(1)).toEqual(parsed.items[1]);
    expect(list.rest).toEqual({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPAMBlockList',
      metadata: parsed.metadata,
    });
  });

  it('keeps integers beyond 2^53 exact', () => {
    const list = splitList<{ spec: { sequenceNumber: bigint } }>(
      Buffer.from(
        '{"items":[{"spec":{"sequenceNumber":1780308000000000002}}],"metadata":{"resourceVersion":"9"}}',
      ),
    );
    expect(list.item(0).spec.sequenceNumber).toBe(1780308000000000002n);
  });

  it('an empty list, and what is not a list', () => {
    expect(splitList(Buffer.from('{"items":[],"metadata":{}}')).length).toBe(0);
    expect(() => splitList(Buffer.from('[1,2]'))).toThrow(SyntaxError);
    expect(() => splitList(Buffer.from('{"items":[{"a":1}'))).toThrow(SyntaxError);
  });
});
