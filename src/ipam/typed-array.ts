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
