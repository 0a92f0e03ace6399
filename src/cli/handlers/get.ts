/**
 * `get`: resources of one kind, some names of it, or those named in a file, in calicoctl's
 * formats; with -o wide (or custom columns) on nodes, the global AS number fills empty ASN cells.
 */
import { readFileSync } from 'node:fs';

import { getResources, type GetRequest } from '../../apply/get.js';
import type { Datastore } from '../../datastore/contract.js';
import { ExitCode, InputError } from '../../errors.js';
import { kindDescriptor, resolveKind } from '../../resources/registry.js';
import { ResourceStore } from '../../resources/store.js';
import { withDatastore } from '../datastore-session.js';
import type { CommandResult } from '../emit.js';
import { collectItems, type FileFlags } from '../resource-items.js';
import type { DatastoreFlags } from '../datastore-session.js';
import { parseOutputFormat, renderObjects, type GetObject } from '../resource-output.js';

export interface GetFlags extends DatastoreFlags, FileFlags {
  output: string;
  'all-namespaces': boolean;
  export: boolean;
}

export async function runGet(flags: GetFlags, args: readonly string[]): Promise<CommandResult<unknown>> {
  const format = parseOutputFormat(flags.output, (p) => readFileSync(p, 'utf8'));
  let requests: GetRequest[];
  if (flags.filename !== undefined) {
    const items = await collectItems(flags, args);
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

async function globalASNumber(ds: Datastore): Promise<string> {
  try {
    const cfg = await new ResourceStore(ds).get(kindDescriptor('BGPConfiguration')!, 'default');
    return cfg.spec?.asNumber !== undefined ? String(cfg.spec.asNumber) : '64512';
  } catch (err) {
    return (err as { code?: string }).code === 'ResourceNotFound' ? '64512' : 'unknown';
  }
}
