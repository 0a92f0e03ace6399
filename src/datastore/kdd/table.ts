/** The mapping table of the Kubernetes datastore: every family of kinds it presents (mapping.ts). */
import { coreMappings } from './core/index.js';
import { MappingTable } from './mapping.js';

export function kddMappingTable(): MappingTable {
  return new MappingTable([...coreMappings]);
}
