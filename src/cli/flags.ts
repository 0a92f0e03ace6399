/** Flags shared by every command that needs them (docs/conventions.md). */
import { Flags } from '@oclif/core';

export const configFlag = Flags.string({
  char: 'c',
  summary: 'Path to the datastore config file (CalicoAPIConfig, YAML or JSON).',
  description:
    'Defaults to /etc/calico/calicoctl.cfg when that file exists; otherwise the environment ' +
    '(DATASTORE_TYPE, ETCD_ENDPOINTS, ... and their CALICO_-prefixed forms) and then the embedded datastore.',
  helpValue: '<FILE>',
});

export const timeoutFlag = Flags.string({
  summary: 'Deadline for each datastore or socket operation, a Go duration: 5s, 1500ms, 1m30s.',
  default: '5s',
  helpValue: '<DURATION>',
});

export const debugFlag = Flags.boolean({
  summary: 'Print stack traces and datastore requests on stderr.',
  default: false,
});

export const dryRunFlag = Flags.boolean({
  summary: 'Show what would change and write nothing.',
  default: false,
});

export const allowVersionMismatchFlag = Flags.boolean({
  summary: 'Skip the check that the client version matches the cluster version.',
  default: false,
});

/** The flags every datastore command takes. */
export const datastoreFlags = {
  config: configFlag,
  timeout: timeoutFlag,
  debug: debugFlag,
  'allow-version-mismatch': allowVersionMismatchFlag,
};

/** `-o text|json`: the text for people (default) or the command's JSON document. */
export const textOrJsonOutputFlag = Flags.string({
  char: 'o',
  summary: 'Output format.',
  options: ['text', 'json'],
  default: 'text',
});
