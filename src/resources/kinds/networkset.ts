/**
 * GlobalNetworkSet and NetworkSet (api/pkg/apis/projectcalico/v3/globalnetworkset.go,
 * networkset.go): one layout, a list of nets, cluster-wide or in a namespace.
 */
import { S } from '../../codec/go-json.js';
import { name, naming, spec, truncatedJoin } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, resource, struct } from '../schemas.js';

function networkSet(kind: string, plural: string, shortNames: string[], namespaced: boolean): KindDescriptor {
  return {
    ...naming(kind, plural, shortNames, namespaced),
    schema: resource(kind, struct(`${kind}Spec`, [f('nets', S.slice(S.string()))])),
    ps: [name],
    wide: [name, truncatedJoin('NETS', spec('nets'))],
  };
}

export const globalnetworkset = networkSet('GlobalNetworkSet', 'globalnetworksets', ['gnetsets'], false);
export const networkset = networkSet('NetworkSet', 'networksets', ['netsets'], true);
