/**
 * Go-JSON schemas of the IPAM values in etcd, field for field as libcalico-go v3.32.1 declares them
 * (`libcalico-go/lib/backend/model/block.go`, `block_affinity.go`, `ipam_handle.go`, `ipam_config.go`).
 * Encoding a decoded value with these schemas gives the bytes Calico would write.
 */
import { S, type Schema } from '../codec/go-json.js';

/** AllocationAttribute: every field omitempty since v3.32 (<= v3.31 wrote `"handle_id":null`). */
export const allocationAttributeSchema: Schema = S.struct([
  { name: 'handle_id', schema: S.string({ pointer: true }), omitempty: true },
  { name: 'secondary', schema: S.map(S.string()), omitempty: true },
  { name: 'alternateOwnerAttrs', schema: S.map(S.string()), omitempty: true },
]);

export const allocationBlockSchema: Schema = S.struct([
  { name: 'cidr', schema: S.string() },
  { name: 'affinity', schema: S.string({ pointer: true }) },
  { name: 'affinity_claim_time', schema: S.string({ pointer: true }), omitempty: true },
  { name: 'allocations', schema: S.slice(S.int({ pointer: true })) },
  { name: 'unallocated', schema: S.slice(S.int()) },
  { name: 'attributes', schema: S.slice(allocationAttributeSchema) },
  { name: 'sequenceNumber', schema: S.int() },
  { name: 'sequenceNumberForAllocation', schema: S.map(S.int()) },
  { name: 'deleted', schema: S.bool() },
  { name: 'hostAffinity', schema: S.string({ pointer: true }), omitempty: true },
]);

export const blockAffinitySchema: Schema = S.struct([
  { name: 'state', schema: S.string() },
  { name: 'deleted', schema: S.bool() },
]);

export const ipamHandleSchema: Schema = S.struct([
  { name: 'block', schema: S.map(S.int()) },
  { name: 'deleted', schema: S.bool() },
]);

export const ipamConfigSchema: Schema = S.struct([
  { name: 'strict_affinity', schema: S.bool(), omitempty: true },
  { name: 'auto_allocate_blocks', schema: S.bool(), omitempty: true },
  { name: 'maxBlocksPerHost', schema: S.int(), omitempty: true },
  { name: 'kubeVirtVMAddressPersistence', schema: S.string({ pointer: true }), omitempty: true },
]);
