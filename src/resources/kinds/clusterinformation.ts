/** ClusterInformation (api/pkg/apis/projectcalico/v3/clusterinfo.go): managed by Calico itself, so read-only here. */
import { S } from '../../codec/go-json.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, resource, struct } from '../schemas.js';

const clusterInformationSpec = struct('ClusterInformationSpec', [
  f('clusterGUID', S.string()),
  f('clusterType', S.string()),
  f('calicoVersion', S.string()),
  f('datastoreReady', S.bool({ pointer: true })),
  f('variant', S.string()),
]);

const columns = [
  name,
  col('CLUSTERGUID', spec('clusterGUID')),
  col('CLUSTERTYPE', spec('clusterType')),
  col('CALICOVERSION', spec('calicoVersion')),
  col('DATASTOREREADY', spec('datastoreReady'), '<nil>'),
];

export const clusterinformation: KindDescriptor = {
  ...naming('ClusterInformation', 'clusterinformations', ['clusterinfo', 'clusterinfos']),
  schema: resource('ClusterInformation', clusterInformationSpec),
  ps: columns,
  wide: columns,
  refuse: { create: 'create or apply', update: 'apply or replace', delete: 'delete', apply: 'apply' },
};
