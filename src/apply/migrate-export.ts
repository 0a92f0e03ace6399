/**
 * `datastore migrate export` (calicoctl v3.32.1 `commands/datastore/migrate/export.go`,
 * `migrateipam.go`; kdd.md §8): what calicoctl writes to move an etcd datastore to Kubernetes. The
 * datastore must be locked and must not be the Kubernetes one. The export is, in order:
 *  1. for each kind of EXPORT_KINDS, the `get -o yaml --export` list of that kind, each followed by
 *     `---`; Kubernetes' own policies (`knp.default.*`) are left out, Nodes are renamed to their
 *     Kubernetes node name (orchRef k8s, required) and `node.<name>` Felix and BGP configurations
 *     with them, Felix's iptables actions are title-cased;
 *  2. `===`, then ClusterInformation `default` as indented JSON;
 *  3. `===`, then the IPAM objects as indented JSON, `{"block_affinities", "blocks", "handles",
 *     "config"}` of `{"Key": <etcd key>, "Value": <the etcd value>, "TTL": 0}`, node names remapped
 *     in affinity keys, block affinities, attributes and the tunnel-address handle IDs.
 * This module returns the parts as data; the handler renders them.
 */
import { encodeGoJson, parseGoJson, S, type Schema } from '../codec/go-json.js';
import type { Datastore } from '../datastore/contract.js';
import { InputError, OperationError, RefusedError, isCalicoError } from '../errors.js';
import { BLOCK_PREFIX, HANDLE_PREFIX, IPAM_CONFIG_KEY, IPAM_PREFIX, parseAffinityKey } from '../ipam/keys.js';
import {
  allocationBlockSchema,
  blockAffinitySchema,
  ipamConfigSchema,
  ipamHandleSchema,
} from '../ipam/schemas.js';
import { kindDescriptor } from '../resources/registry.js';
import { ResourceStore } from '../resources/store.js';
import type { ResourceObject } from '../resources/types.js';
import { getResources, type GetResult } from './get.js';

/** export.go allV3Resources, in its order (tiers before policies, nodes before what names them). */
export const EXPORT_KINDS = [
  'IPPool',
  'BGPPeer',
  'Tier',
  'GlobalNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'GlobalNetworkSet',
  'HostEndpoint',
  'KubeControllersConfiguration',
  'NetworkPolicy',
  'StagedNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
  'NetworkSet',
  'Node',
  'BGPConfiguration',
  'FelixConfiguration',
  'IPReservation',
  'BGPFilter',
] as const;

/** Only these two are listed across namespaces; the other namespaced kinds from `default` (as calicoctl). */
const ALL_NAMESPACES = new Set(['NetworkPolicy', 'NetworkSet']);
/** converter.KubernetesNetworkPolicyEtcdPrefix. */
const KUBERNETES_POLICY_PREFIX = 'knp.default.';
/** ConvertIptablesFields. */
const IPTABLES_ACTIONS = [
  'defaultEndpointToHostAction',
  'iptablesFilterAllowAction',
  'iptablesMangleAllowAction',
  'iptablesFilterDenyAction',
];
/** migrateipam.go ipamHandlePrefixes. */
const NODE_HANDLE_PREFIXES = ['ipip-tunnel-addr-', 'vxlan-tunnel-addr-', 'wireguard-tunnel-addr-'];

export interface MigrationExport {
  /** One `get -o yaml --export` list per kind of EXPORT_KINDS. */
  lists: GetResult[];
  clusterInformation: ResourceObject;
  /** The IPAM section, as calicoctl's json.MarshalIndent writes it. */
  ipam: string;
}

/** common.CheckLocked, with export's messages. */
async function checkLocked(store: ResourceStore): Promise<ResourceObject> {
  let info: ResourceObject;
  try {
    info = await store.get(kindDescriptor('ClusterInformation')!, 'default');
  } catch (err) {
    if (!isCalicoError(err)) throw err;
    throw new OperationError(`error while checking if datastore was locked: ${err.message}`, {
      code: 'ClusterInformation',
      hint: "lock the datastore with 'calicoctl-ts datastore migrate lock'",
    });
  }
  if (info.spec?.['datastoreReady'] !== false)
    throw new RefusedError(
      'datastore is not locked. Run the `calicoctl datastore migrate lock` command in order to begin migration',
      { code: 'DatastoreNotLocked', hint: "run 'calicoctl-ts datastore migrate lock' first" },
    );
  return info;
}

function titleCase(text: string): string {
  const lower = text.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The node a `node.<name>` configuration is for, renamed; other names unchanged. */
function renamedConfig(res: ResourceObject, nodes: ReadonlyMap<string, string>): ResourceObject {
  const name = res.metadata.name ?? '';
  const renamed = name.startsWith('node.') ? nodes.get(name.slice(5)) : undefined;
  return renamed === undefined ? res : { ...res, metadata: { ...res.metadata, name: `node.${renamed}` } };
}

/** What export.go does to a kind's items before printing them. */
function forMigration(kind: string, items: ResourceObject[], nodes: Map<string, string>): ResourceObject[] {
  switch (kind) {
    case 'NetworkPolicy':
      return items.filter((p) => !(p.metadata.name ?? '').startsWith(KUBERNETES_POLICY_PREFIX));
    case 'Node':
      return items.map((node) => {
        const refs = (node.spec?.['orchRefs'] ?? []) as { nodeName?: string; orchestrator?: string }[];
        const k8s = refs.filter((r) => r.orchestrator === 'k8s').at(-1)?.nodeName ?? '';
        const name = node.metadata.name ?? '';
        if (k8s === '')
          throw new OperationError(
            `unable to process metadata for export for Node resource: node ${name} missing a 'k8s' orchestrator reference. Unable to export data unless every node has a 'k8s' orchestrator reference`,
            {
              code: 'NodeWithoutK8sRef',
              hint: `add spec.orchRefs [{orchestrator: k8s, nodeName: <the Kubernetes node>}] to Node ${name}`,
            },
          );
        nodes.set(name, k8s);
        return { ...node, metadata: { ...node.metadata, name: k8s } };
      });
    case 'FelixConfiguration':
      return items.map((fc) => {
        const spec = { ...fc.spec };
        for (const f of IPTABLES_ACTIONS)
          if (typeof spec[f] === 'string' && spec[f] !== '') spec[f] = titleCase(spec[f] as string);
        return renamedConfig({ ...fc, spec }, nodes);
      });
    case 'BGPConfiguration':
      return items.map((bc) => renamedConfig(bc, nodes));
    default:
      return items;
  }
}

/** migrateipam.go's `{Key, Value, TTL}` pairs (TTL a time.Duration, always 0 here). */
const kvPair = (value: Schema, pointer = false): Schema =>
  S.struct(
    [
      { name: 'Key', schema: S.string() },
      { name: 'Value', schema: value },
      { name: 'TTL', schema: S.int() },
    ],
    { pointer },
  );
const migrateIPAMSchema = S.struct([
  { name: 'block_affinities', schema: S.slice(kvPair(blockAffinitySchema)), omitempty: true },
  { name: 'blocks', schema: S.slice(kvPair(allocationBlockSchema)), omitempty: true },
  { name: 'handles', schema: S.slice(kvPair(ipamHandleSchema)), omitempty: true },
  { name: 'config', schema: kvPair(ipamConfigSchema, true), omitempty: true },
]);

type Json = Record<string, unknown>;

/** The handle ID with a node-named tunnel-address prefix renamed. */
function renamedHandle(id: string, nodes: ReadonlyMap<string, string>): string {
  for (const prefix of NODE_HANDLE_PREFIXES) {
    const renamed = id.startsWith(prefix) ? nodes.get(id.slice(prefix.length)) : undefined;
    if (renamed !== undefined) return prefix + renamed;
  }
  return id;
}

/** migrateIPAM.PullFromDatastore with the node map applied. */
async function ipamSection(ds: Datastore, nodes: ReadonlyMap<string, string>): Promise<string> {
  const rename = (n: unknown) => (typeof n === 'string' ? (nodes.get(n) ?? n) : n);
  const blocks: Json[] = [];
  for await (const kv of await ds.list(BLOCK_PREFIX)) {
    const block = parseGoJson(kv.value) as Json;
    const attributes = (block['attributes'] ?? null) as Json[] | null;
    for (const a of attributes ?? []) {
      for (const owner of ['secondary', 'alternateOwnerAttrs'])
        if (a[owner] && typeof a[owner] === 'object')
          a[owner] = {
            ...(a[owner] as Json),
            ...('node' in (a[owner] as Json) ? { node: rename((a[owner] as Json)['node']) } : {}),
          };
      if (typeof a['handle_id'] === 'string') a['handle_id'] = renamedHandle(a['handle_id'], nodes);
    }
    const affinity = block['affinity'];
    if (typeof affinity === 'string' && affinity.startsWith('host:'))
      block['affinity'] = `host:${String(rename(affinity.slice(5)))}`;
    blocks.push({ Key: kv.key, Value: block, TTL: 0 });
  }
  const affinities: Json[] = [];
  for (const type of ['host', 'virtual'])
    for await (const kv of await ds.list(`${IPAM_PREFIX}${type}/`)) {
      const key = parseAffinityKey(kv.key);
      if (!key) continue;
      const host = String(rename(key.host));
      const value = kv.value === '' ? {} : (parseGoJson(kv.value) as Json);
      affinities.push({
        Key: kv.key.replace(`/${key.type}/${key.host}/`, `/${key.type}/${host}/`),
        Value: value,
        TTL: 0,
      });
    }
  const handles: Json[] = [];
  for await (const kv of await ds.list(HANDLE_PREFIX)) {
    const id = kv.key.slice(HANDLE_PREFIX.length);
    if (id === '' || id.includes('/')) continue;
    handles.push({ Key: HANDLE_PREFIX + renamedHandle(id, nodes), Value: parseGoJson(kv.value), TTL: 0 });
  }
  const configKv = await ds.get(IPAM_CONFIG_KEY);
  return encodeGoJson(
    {
      block_affinities: affinities,
      blocks,
      handles,
      config: configKv ? { Key: IPAM_CONFIG_KEY, Value: parseGoJson(configKv.value), TTL: 0 } : undefined,
    },
    migrateIPAMSchema,
    { indent: '  ' },
  );
}

export async function exportForMigration(ds: Datastore): Promise<MigrationExport> {
  const store = new ResourceStore(ds);
  await checkLocked(store);
  if (ds.info.type !== 'etcdv3' && ds.info.type !== 'embedded')
    throw new InputError(
      `invalid datastore type: ${ds.info.type} to export from for datastore migration. Datastore type must be etcdv3`,
      { code: 'InvalidDatastoreType', hint: 'point the command at the etcd datastore to migrate from' },
    );
  const nodes = new Map<string, string>();
  const lists: GetResult[] = [];
  for (const kind of EXPORT_KINDS) {
    const descriptor = kindDescriptor(kind)!;
    const { objects, errors } = await getResources(ds, [{ descriptor }], {
      export: true,
      ...(ALL_NAMESPACES.has(kind)
        ? { allNamespaces: true }
        : descriptor.namespaced
          ? { namespace: 'default' }
          : {}),
    });
    if (errors.length > 0)
      throw new OperationError(errors.map((e) => e.message).join('\n'), { code: 'ExportFailed' });
    for (const o of objects)
      lists.push(o.type === 'list' ? { ...o, items: forMigration(kind, o.items, nodes) } : o);
  }
  const clusterInformation = await store.get(kindDescriptor('ClusterInformation')!, 'default');
  return { lists, clusterInformation, ipam: await ipamSection(ds, nodes) };
}
