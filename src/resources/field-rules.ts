/**
 * The v3 validator's rules that several kinds' checks use (api/pkg/lib/validator/v3): DNS names,
 * selectors, and a tag failure as calicoctl prints it. Each kind's own checks are in its module
 * (src/resources/kinds/); the metadata checks every kind shares are validate.ts.
 */
import { parseSelector, SelectorError } from './selector.js';
import type { ErroredField } from './types.js';

export const NAME_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const NAME_SUBDOMAIN = `${NAME_LABEL}(\\.${NAME_LABEL})*`;
export const NAME_RE = new RegExp(`^${NAME_SUBDOMAIN}$`);

/** A go-playground tag failure as convertError/extractReason print it. */
export function tagFailure(field: string, value: unknown, tag: string): ErroredField {
  return { name: field, value, reason: `Reason: failed to validate Field: ${field} because of Tag: ${tag} ` };
}

/**
 * The validator's `selector` tag: the value must parse as a Calico selector. Calico prints only
 * the tag failure; the parser's reason goes in `detail` for the hint.
 */
export function selectorFailures(fields: readonly [field: string, value: unknown][]): ErroredField[] {
  const errs: ErroredField[] = [];
  for (const [field, value] of fields) {
    if (typeof value !== 'string' || value === '') continue;
    try {
      parseSelector(value);
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      errs.push({ ...tagFailure(field, value, 'selector'), detail: `${field}: ${err.message}` });
    }
  }
  return errs;
}

/** A rule for metadata.name: the longest it may be, and a pattern whose rule is the reason. */
export interface NameRule {
  maxLength: number;
  pattern: RegExp;
  rule: string;
}

export function nameRuleFailures(name: string, { maxLength, pattern, rule }: NameRule): ErroredField[] {
  const errs: ErroredField[] = [];
  if (name.length > maxLength)
    errs.push(failure('Metadata.Name', name, `name is too long by ${name.length - maxLength} bytes`));
  if (!pattern.test(name)) errs.push(failure('Metadata.Name', name, rule));
  return errs;
}

/** A failed field with the reason Calico gives. */
export function failure(name: string, value: unknown, reason: string): ErroredField {
  return { name, value, reason };
}
