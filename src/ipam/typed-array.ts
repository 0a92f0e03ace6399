import { endianness } from 'node:os';

/**
 * The walks over a whole cluster's blocks and handles keep what they read in typed arrays that
 * double as they fill (nothing allocated per address or handle); this is their one way to grow.
 */

/** A copy of a with twice its length, its entries first. */
export function grown<A extends Int32Array | Uint8Array | Float64Array>(a: A): A {
  const bigger = new (a.constructor as new (length: number) => A)(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Where the low 32 bits of a 64-bit number are among its two 32-bit halves (a Uint32Array over it). */
export const LOW_HALF = endianness() === 'LE' ? 0 : 1;
