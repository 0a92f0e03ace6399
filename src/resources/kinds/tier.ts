/** Tier (api/pkg/apis/projectcalico/v3/tier.go): Go layout, columns and calicoctl's list order. */
import { S } from '../../codec/go-json.js';
import { NAME_LABEL } from '../field-rules.js';
import { floatCol, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { conditions, f, resource, str, struct } from '../schemas.js';
import type { ResourceObject } from '../types.js';

const tierSpec = struct('TierSpec', [
  f('order', S.float({ pointer: true })),
  f('defaultAction', str('*v3.Action', true)),
]);

const columns = [name, floatCol('ORDER', spec('order'))];

export const tier: KindDescriptor = {
  ...naming('Tier', 'tiers', []),
  schema: resource('Tier', tierSpec, [f('status', struct('TierStatus', [conditions]))]),
  ps: columns,
  wide: columns,
  // validateTier: a DNS label, not a subdomain.
  nameRule: {
    maxLength: 63,
    pattern: new RegExp(`^${NAME_LABEL}$`),
    rule: `name must consist of lower case alphanumeric characters or '-' (regex: ${NAME_LABEL})`,
  },
  // calicoctl stable-sorts tiers by order, unset orders last.
  sortList: (items) => {
    const order = (r: ResourceObject) => {
      const o = r.spec?.order;
      return typeof o === 'number' ? o : Number.POSITIVE_INFINITY;
    };
    items.sort((a, b) => order(a) - order(b));
  },
};
