/**
 * Go's metav1.Time text: RFC 3339 in UTC with second precision (`2026-06-01T10:00:00Z`), as
 * Kubernetes' and Calico's timestamps marshal (creationTimestamp, a block's affinity claim time, an
 * export's date).
 */
export function goTimestamp(at = new Date()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
