/** The InputError a call throws (a test fails if it throws nothing, or something else). */
import { expect } from 'vitest';

import { InputError } from '../../../src/errors.js';

export function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}
