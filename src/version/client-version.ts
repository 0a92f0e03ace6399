import { readFileSync } from 'node:fs';

/**
 * The Calico release whose formats and behaviour this client reproduces. It is the part of our
 * version string before the first '-', which is what calicoctl's version-mismatch check compares
 * with ClusterInformation.spec.calicoVersion.
 */
export const CALICO_COMPAT_VERSION = 'v3.32.1';

export interface BuildInfo {
  version: string;
  commit: string;
}

/** Reads dist/build-info.json written at build time; "unknown" fields when absent. */
export function readBuildInfo(): BuildInfo {
  try {
    const text = readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8');
    const info = JSON.parse(text) as Partial<BuildInfo>;
    return { version: info.version ?? 'unknown', commit: info.commit ?? 'unknown' };
  } catch {
    return { version: 'unknown', commit: 'unknown' };
  }
}

/** `v3.32.1-calicoctl-ts.0.1.0`: compatible Calico release, then our own version. */
export function clientVersion(info: BuildInfo = readBuildInfo()): string {
  return `${CALICO_COMPAT_VERSION}-calicoctl-ts.${info.version}`;
}
