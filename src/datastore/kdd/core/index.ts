/**
 * The kinds stored as core Kubernetes objects (Node from nodes, WorkloadEndpoint from pods, Profile
 * from namespaces and serviceaccounts). Filled in by the core-object mappings; the table
 * (../table.ts) lists whatever this exports.
 */
import type { KddMapping } from '../mapping.js';

export const coreMappings: readonly KddMapping[] = [];
