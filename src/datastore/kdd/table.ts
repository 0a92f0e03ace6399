/** The mapping table of the Kubernetes datastore: every family of kinds it presents (mapping.ts). */
import { coreMappings } from './core/index.js';
import { genericMappings } from './generic.js';
import { ipamMappings } from './ipam.js';
import { MappingTable } from './mapping.js';

export function kddMappingTable(): MappingTable {
  return new MappingTable([...genericMappings(), ...ipamMappings(), ...coreMappings]);
}
