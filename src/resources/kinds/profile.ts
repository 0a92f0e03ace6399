/** Profile (api/pkg/apis/projectcalico/v3/profile.go): Go layout, columns and the virtual default. */
import { S } from '../../codec/go-json.js';
import { name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, resource, struct } from '../schemas.js';
import { API_VERSION } from '../types.js';
import { rules } from './rule.js';

const profileSpec = struct('ProfileSpec', [
  f('ingress', rules),
  f('egress', rules),
  f('labelsToApply', S.map(S.string())),
]);

export const profile: KindDescriptor = {
  ...naming('Profile', 'profiles', ['pro', 'pros']),
  schema: resource('Profile', profileSpec),
  // The profile libcalico-go returns with every profile list (never stored).
  virtual: [
    {
      kind: 'Profile',
      apiVersion: API_VERSION,
      metadata: { name: 'projectcalico-default-allow', resourceVersion: '1' },
      spec: { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
    },
  ],
  ps: [name],
  wide: [
    name,
    {
      heading: 'LABELS',
      cell: (r) => {
        const labels = (spec('labelsToApply')(r) as Record<string, string> | undefined) ?? {};
        return Object.keys(labels)
          .sort()
          .map((k) => `${k}=${labels[k]}`)
          .join(',');
      },
    },
  ],
};
