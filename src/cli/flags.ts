/** Flags shared by every command that needs them (docs/conventions.md). */
import { Args, Flags } from '@oclif/core';

import type { FileVerb } from '../apply/engine.js';

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

/** calicoctl's --context: it sets K8S_CURRENT_CONTEXT, so it counts only where the environment does. */
export const contextFlag = Flags.string({
  summary: 'The kubeconfig context to use (Kubernetes datastore; sets K8S_CURRENT_CONTEXT).',
  helpValue: '<CONTEXT>',
});

/** The flags every datastore command takes. */
export const datastoreFlags = {
  config: configFlag,
  timeout: timeoutFlag,
  debug: debugFlag,
  'allow-version-mismatch': allowVersionMismatchFlag,
  context: contextFlag,
};

/** `-o text|json`: the text for people (default) or the command's JSON document. */
export const textOrJsonOutputFlag = Flags.string({
  char: 'o',
  summary: 'Output format.',
  options: ['text', 'json'],
  default: 'text',
});

export const fileFlags = {
  filename: Flags.string({
    char: 'f',
    summary: 'File or directory of resources (YAML or JSON); - reads stdin.',
    helpValue: '<FILE>',
  }),
  recursive: Flags.boolean({
    char: 'R',
    summary: 'With a directory for -f, also read its subdirectories.',
    default: false,
  }),
  'skip-empty': Flags.boolean({ summary: 'An empty file or directory is not an error.', default: false }),
  namespace: Flags.string({
    char: 'n',
    summary: 'Namespace of namespaced resources (default: "default").',
    helpValue: '<NS>',
  }),
};

const summaryOutputFlag = Flags.string({
  char: 'o',
  summary: 'Output format of the result summary.',
  options: ['text', 'json'],
  default: 'text',
});

export const writeFlags = {
  ...datastoreFlags,
  ...fileFlags,
  'dry-run': dryRunFlag,
  atomic: Flags.boolean({
    summary: 'Write every resource in one transaction, or nothing (at most 128 resources).',
    default: false,
  }),
  output: summaryOutputFlag,
};

/** The optional KIND argument of create/apply/replace/delete (KIND NAME... instead of -f). */
export const fileVerbArgs = {
  kind: Args.string({
    ignoreStdin: true,
    description: 'Kind (with -f omitted): ippool, bgppeer, ... (case-insensitive aliases).',
  }),
};

/** The examples create/apply/replace/delete share; `byName` are listed after the first. */
export function fileVerbExamples(
  verb: FileVerb,
  byName: readonly { description: string; command: string }[] = [],
): { description: string; command: string }[] {
  const bin = '<%= config.bin %>';
  return [
    { description: 'From a file', command: `${bin} ${verb} -f ippool.yaml` },
    ...byName,
    { description: 'From stdin', command: `cat bgppeers.yaml | ${bin} ${verb} -f -` },
    { description: 'Every manifest in a directory tree', command: `${bin} ${verb} -f manifests/ -R` },
    {
      description: 'Show what would change, write nothing',
      command: `${bin} ${verb} -f ippool.yaml --dry-run`,
    },
    { description: 'Result summary as JSON', command: `${bin} ${verb} -f ippool.yaml -o json` },
  ];
}

/** Flags of the commands that change one resource named on the command line (patch, label). */
export const singleResourceFlags = {
  ...datastoreFlags,
  namespace: fileFlags.namespace,
  'dry-run': dryRunFlag,
  output: summaryOutputFlag,
};
