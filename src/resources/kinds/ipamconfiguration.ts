/** IPAMConfiguration (api/pkg/apis/projectcalico/v3/ipamconfig.go): Go layout, columns, checks. */
import { S } from '../../codec/go-json.js';
import { failure } from '../field-rules.js';
import { col, name, naming, spec } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, named, resource, str, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';

const ipamConfigurationSpec = struct('IPAMConfigurationSpec', [
  f('strictAffinity', S.bool(), false),
  f('maxBlocksPerHost', named(S.int(), 'int32')),
  f('autoAllocateBlocks', S.bool(), false),
  f('kubeVirtVMAddressPersistence', str('*v3.VMAddressPersistence', true)),
]);

const strictAffinity = col('STRICTAFFINITY', spec('strictAffinity'), 'false');
const autoAllocateBlocks = col('AUTOALLOCATEBLOCKS', spec('autoAllocateBlocks'), 'false');

export const ipamconfiguration: KindDescriptor = {
  ...naming('IPAMConfiguration', 'ipamconfigurations', ['ipamconfig', 'ipamconfigs']),
  schema: resource('IPAMConfiguration', ipamConfigurationSpec),
  ps: [name, strictAffinity, autoAllocateBlocks],
  wide: [name, strictAffinity, autoAllocateBlocks, col('MAXBLOCKSPERHOST', spec('maxBlocksPerHost'), '0')],
  validate: validateIPAMConfiguration,
};

function validateIPAMConfiguration(res: ResourceObject): ErroredField[] {
  const s = res.spec ?? {};
  const errs: ErroredField[] = [];
  if (res.metadata.name !== 'default')
    errs.push({
      name: 'Metadata.Name',
      value: res.metadata.name,
      reason: "Only one IPAMConfiguration is allowed, named 'default'",
    });
  if (!s.strictAffinity && s.autoAllocateBlocks === false)
    errs.push({
      name: 'IPAMConfigurationSpec',
      reason: "Cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time",
    });
  if ((s.maxBlocksPerHost as number | undefined) && Number(s.maxBlocksPerHost) < 0)
    errs.push(
      failure('IPAMConfigurationSpec.MaxBlocksPerHost', s.maxBlocksPerHost, 'must be a non-negative number'),
    );
  return errs;
}
