import { readFileSync } from 'node:fs';

import { Args, Flags } from '@oclif/core';

import { getResources, type GetRequest } from '../src/apply/get.js';
import { CalicoCommand, type CommandResult } from '../src/cli/base-command.js';
import { datastoreFlags } from '../src/cli/flags.js';
import { collectItems, fileFlags, type WriteFlags } from '../src/cli/resource-command.js';
import { parseOutputFormat, renderObjects, type GetObject } from '../src/cli/resource-output.js';
import { withDatastore } from '../src/cli/datastore-session.js';
import { ExitCode, InputError } from '../src/errors.js';
import { kindDescriptor, resolveKind } from '../src/resources/registry.js';
import { ResourceStore } from '../src/resources/store.js';
import type { Datastore } from '../src/datastore/contract.js';

async function globalASNumber(ds: Datastore): Promise<string> {
  try {
    const cfg = await new ResourceStore(ds).get(kindDescriptor('BGPConfiguration')!, 'default');
    return cfg.spec?.asNumber !== undefined ? String(cfg.spec.asNumber) : '64512';
  } catch (err) {
    return (err as { code?: string }).code === 'ResourceNotFound' ? '64512' : 'unknown';
  }
}

export default class Get extends CalicoCommand<unknown> {
  static override summary = 'Show resources: one kind, some names of it, or those named in a file.';
  static override strict = false;
  static override examples = [
    { description: 'All IP pools as a table', command: '<%= config.bin %> get ippools' },
    { description: 'Wide table', command: '<%= config.bin %> get ippool -o wide' },
    { description: 'Two by name as YAML', command: '<%= config.bin %> get bgppeer peer1 peer2 -o yaml' },
    {
      description: 'Export for re-applying',
      command: '<%= config.bin %> get ippool --export -o yaml | <%= config.bin %> apply -f -',
    },
    {
      description: 'Chosen columns',
      command: '<%= config.bin %> get ippool -o custom-columns=NAME,CIDR,NAT',
    },
    {
      description: 'Names only',
      command: "<%= config.bin %> get nodes -o jsonpath='{.items[*].metadata.name}'",
    },
    { description: 'Policies in every namespace', command: '<%= config.bin %> get networkpolicy -A' },
  ];
  static override args = {
    kind: Args.string({
      ignoreStdin: true,
      description: 'Kind: ippool, bgppeer, node, ... (case-insensitive aliases).',
    }),
  };
  static override flags = {
    ...datastoreFlags,
    ...fileFlags,
    output: Flags.string({
      char: 'o',
      summary: 'ps (default), wide, yaml, json, custom-columns=A,B, jsonpath=TEMPLATE or jsonpath-file=PATH.',
      default: 'ps',
    }),
    'all-namespaces': Flags.boolean({
      char: 'A',
      aliases: ['a'],
      summary: 'List namespaced resources of every namespace.',
      default: false,
    }),
    export: Flags.boolean({
      summary: 'Leave out server-set fields (uid, resourceVersion, creationTimestamp, ...).',
      default: false,
    }),
  };

  protected async execute(): Promise<CommandResult<unknown>> {
    const { flags, argv } = await this.parse(Get);
    const args = argv as string[];
    const format = parseOutputFormat(flags.output, (p) => readFileSync(p, 'utf8'));
    let requests: GetRequest[];
    if (flags.filename !== undefined) {
      const items = await collectItems(flags as unknown as WriteFlags, args);
      if (items === 'empty') return { data: [], text: 'No resources specified\n' };
      requests = items.map((i) => ({
        descriptor: i.descriptor,
        name: i.resource.metadata.name,
        namespace: i.resource.metadata.namespace,
        resourceVersion: i.resource.metadata.resourceVersion,
      }));
    } else {
      const [kind, ...names] = args;
      if (!kind) throw new InputError('no resources specified', { hint: 'e.g. get ippools' });
      let descriptor;
      try {
        descriptor = resolveKind(kind);
      } catch (err) {
        if (err instanceof InputError)
          throw new InputError(`failed to get resources: ${err.message}`, { code: err.code, hint: err.hint });
        throw err;
      }
      if (names.some((n) => n === '')) throw new InputError('resource name may not be empty');
      requests = names.length > 0 ? names.map((name) => ({ descriptor, name })) : [{ descriptor }];
    }
    const wantsNodeASN =
      (format.type === 'wide' || format.type === 'custom-columns') &&
      requests.some((r) => r.descriptor.kind === 'Node');
    const { outcome, asn } = await withDatastore(flags, async (ds) => ({
      outcome: await getResources(ds, requests, {
        namespace: flags.namespace,
        allNamespaces: flags['all-namespaces'],
        export: flags.export,
      }),
      asn: wantsNodeASN ? await globalASNumber(ds) : '64512',
    }));
    const objects: GetObject[] = outcome.objects;
    const stderr = outcome.errors.map((e) => e.message).join('\n');
    const text =
      objects.length > 0 || outcome.errors.length === 0
        ? renderObjects(objects, {
            format,
            withNamespace: flags.namespace !== undefined || flags['all-namespaces'],
            table: { globalASNumber: asn },
          })
        : '';
    const failed = outcome.errors.length > 0;
    const codes = new Set(outcome.errors.map((e) => e.exitCode));
    const exitCode = !failed
      ? ExitCode.Ok
      : objects.length === 0 && codes.size === 1
        ? [...codes][0]!
        : ExitCode.Failed;
    return { data: objects, text, stderr: failed ? stderr + '\n' : '', exitCode };
  }
}
