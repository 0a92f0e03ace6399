/**
 * Calico's ConvertUID (libcalico-go k8s/conversion/conversion.go ConvertUID, reverseUID): the uid of a
 * Calico object derived from a Kubernetes one (a Profile from a Namespace or ServiceAccount, a CR's
 * own uid) is the Kubernetes uid with the bits of every byte reversed, except bytes 6 and 8 (the UUID
 * version and variant), so the two never collide in Kubernetes' garbage collector. It is its own
 * inverse.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reverseBits(byte: number): number {
  let out = 0;
  for (let i = 0; i < 8; i++) out |= ((byte >> i) & 1) << (7 - i);
  return out;
}

/** ConvertUID; throws, as Calico's conversion fails, on a uid that is not a UUID. */
export function convertUID(uid: string): string {
  // Go's uuid.Parse also takes `urn:uuid:` and braces; Kubernetes uids are always the plain form.
  if (!UUID.test(uid))
    throw new Error(`failed to parse UID for resource: invalid UUID ${JSON.stringify(uid)}`);
  const bytes = Buffer.from(uid.replace(/-/g, ''), 'hex');
  const out = bytes.map((b, i) => (i === 6 || i === 8 ? b : reverseBits(b)));
  const hex = Buffer.from(out).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
