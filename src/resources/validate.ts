/**
 * The checks libcalico-go runs on every object's metadata before a write (validateObjectMeta), with
 * its field names and reasons, so the messages match calicoctl v3.32.1. Pure functions: each returns
 * the failed fields (empty when valid). A kind's own checks are in its module (src/resources/kinds/).
 */
import { NAME_RE, NAME_SUBDOMAIN, nameRuleFailures, type NameRule } from './field-rules.js';
import type { ErroredField, ResourceObject } from './types.js';

const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** k8s IsQualifiedName: optional DNS-subdomain prefix and a 63-char name. */
function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (!NAME_RE.test(prefix) || prefix.length > 253)
      errs.push(
        `prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${NAME_SUBDOMAIN}')`,
      );
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name))
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  return errs;
}

const NAME_RULE: NameRule = {
  maxLength: 253,
  pattern: NAME_RE,
  rule: `name must consist of lower case alphanumeric characters, '-' or '.' (regex: ${NAME_SUBDOMAIN})`,
};

/** validateObjectMeta, after the kind's own name rule if it has one (validateTier's). */
export function validateMetadata(res: ResourceObject, kindNameRule?: NameRule): ErroredField[] {
  const name = res.metadata.name ?? '';
  const errs = kindNameRule ? nameRuleFailures(name, kindNameRule) : [];
  errs.push(...nameRuleFailures(name, NAME_RULE));
  const ns = res.metadata.namespace;
  if (ns && !NAME_RE.test(ns))
    errs.push({
      name: 'Metadata.Namespace',
      value: ns,
      reason: `namespace must consist of lower case alphanumeric characters, '-' or '.' (regex: ${NAME_SUBDOMAIN})`,
    });
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(res.metadata.annotations ?? {})) {
    for (const reason of qualifiedNameErrors(k.toLowerCase()))
      errs.push({ name: 'Metadata.Annotations (key)', value: k, reason });
    annotationBytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (annotationBytes > 256 * 1024)
    errs.push({
      name: 'Metadata.Annotations (key)',
      value: res.metadata.annotations,
      reason: `total size of annotations is too large by ${annotationBytes - 256 * 1024} bytes`,
    });
  for (const [k, v] of Object.entries(res.metadata.labels ?? {})) {
    for (const reason of qualifiedNameErrors(k))
      errs.push({ name: 'Metadata.Labels (label)', value: k, reason });
    if (v.length > 63)
      errs.push({ name: 'Metadata.Labels (value)', value: v, reason: 'must be no more than 63 characters' });
    if (!LABEL_VALUE_RE.test(v))
      errs.push({
        name: 'Metadata.Labels (value)',
        value: v,
        reason:
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      });
  }
  return errs;
}
