/** IPReservation (api/pkg/apis/projectcalico/v3/ipreservation.go): Go layout, columns, checks. */
import { S } from '../../codec/go-json.js';
import { tagFailure } from '../field-rules.js';
import { parseCIDROrIP } from '../ip.js';
import { name, naming, spec, truncatedJoin } from '../kind.js';
import type { KindDescriptor } from '../registry.js';
import { f, resource, struct } from '../schemas.js';
import type { ErroredField, ResourceObject } from '../types.js';

const ipReservationSpec = struct('IPReservationSpec', [f('reservedCIDRs', S.slice(S.string()))]);

export const ipreservation: KindDescriptor = {
  ...naming('IPReservation', 'ipreservations', ['reservation', 'reservations']),
  schema: resource('IPReservation', ipReservationSpec),
  ps: [name],
  wide: [name, truncatedJoin('CIDRS', spec('reservedCIDRs'))],
  validate: validateIPReservation,
};

function validateIPReservation(res: ResourceObject): ErroredField[] {
  const cidrs = (res.spec?.reservedCIDRs as string[] | undefined) ?? [];
  const bad = cidrs.filter((c) => !parseCIDROrIP(c));
  return bad.length > 0 ? [tagFailure('ReservedCIDRs', cidrs, 'cidrs')] : [];
}
