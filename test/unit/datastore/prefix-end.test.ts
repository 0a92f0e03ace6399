import { describe, expect, it } from 'vitest';

import { prefixEnd } from '../../../src/datastore/contract.js';

describe('prefixEnd', () => {
  it('increments the last byte', () => {
    expect(prefixEnd('/calico/ipam/v2/assignment/')).toBe('/calico/ipam/v2/assignment0');
    expect(prefixEnd('a')).toBe('b');
  });
  it('reads to the end of the keyspace for the empty prefix', () => {
    expect(prefixEnd('')).toBe('\0');
  });
});
