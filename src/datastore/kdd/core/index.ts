/**
 * The kinds stored as core Kubernetes objects (Node from nodes, WorkloadEndpoint from pods, Profile
 * from namespaces and serviceaccounts). The table (../table.ts) lists whatever this exports.
 */
import type { KddMapping } from '../mapping.js';
import { nodeMapping } from './node.js';
import { profileMapping } from './profile.js';
import { workloadEndpointMapping } from './workload-endpoint.js';

export const coreMappings: readonly KddMapping[] = [nodeMapping, profileMapping, workloadEndpointMapping];
