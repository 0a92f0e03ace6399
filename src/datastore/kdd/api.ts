/**
 * Kubernetes object calls over KubeClient, with the outcomes the backend and the mappings reason in
 * (mapping.ts KubeApi): 404 is a missing object, 409 an existing one or a lost compare-and-swap, and
 * every other failure the error Calico's KDD backend reports (k8s/resources/errors.go
 * K8sErrorToCalico; kdd.md §3.5).
 */
import { encodeGoJson, parseGoJson, S } from '../../codec/go-json.js';
import { OperationError, UnreachableError } from '../../errors.js';
import type { KubeClient, KubeResponse } from './client.js';
import type {
  DeletePreconditions,
  KubeApi,
  KubeCollection,
  KubeObject,
  KubeWriteResult,
  ObjectLocation,
} from './mapping.js';

/** A list page as the API returns it. */
export interface KubeList {
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items?: KubeObject[];
}

/** metav1.Status, as far as errors need it. */
interface KubeStatus {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: { name?: string; causes?: Array<{ field?: string; message?: string }> };
}

export function collectionPath(c: KubeCollection, namespace?: string): string {
  const base = c.group === '' ? `/api/${c.version}` : `/apis/${c.group}/${c.version}`;
  const ns = c.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${c.plural}`;
}

export function objectPath(loc: ObjectLocation, subresource?: string): string {
  return (
    collectionPath(loc.collection, loc.namespace) +
    `/${encodeURIComponent(loc.name)}` +
    (subresource ? `/${subresource}` : '')
  );
}

export function encodeBody(value: unknown): string {
  return encodeGoJson(value, S.any());
}

export function parseBody<T>(res: KubeResponse, what: string): T {
  try {
    return parseGoJson(res.body) as T;
  } catch (err) {
    throw new OperationError(
      `${what}: the API server answered ${res.status} with a body that is not JSON: ${(err as Error).message}`,
      {
        code: 'KubeBadAnswer',
      },
    );
  }
}

function status(res: KubeResponse): KubeStatus {
  try {
    const parsed = JSON.parse(res.body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as KubeStatus) : {};
  } catch {
    return { message: res.body.trim() };
  }
}

/**
 * The error for an answer the caller does not handle itself: 401/403 as calicoctl words it (exit 3),
 * 5xx as unreachable (exit 3), anything else the server's message (exit 1).
 */
export function answerError(client: KubeClient, res: KubeResponse, what: string): Error {
  const s = status(res);
  const message = s.message ?? `${res.status}`;
  if (res.status === 401 || res.status === 403) {
    return new UnreachableError(
      `connection is unauthorized: ${message} (Kubernetes API server ${client.server}, ${client.origin})`,
      {
        code: 'Unauthorized',
        hint:
          res.status === 401
            ? 'the API server did not accept the credentials: check the token or client certificate of the kubeconfig user'
            : "the kubeconfig user may not do this: grant it access to Calico's resources (RBAC)",
      },
    );
  }
  if (res.status >= 500) {
    return new UnreachableError(
      `the Kubernetes API server ${client.server} (${client.origin}) failed: ${what}: ${message}`,
      {
        code: 'KubeServerError',
        hint: 'check the API server and its etcd, then run the command again',
      },
    );
  }
  if (res.status === 404) {
    return new OperationError(`${what}: ${message}`, {
      code: 'KubeNotFound',
      hint: "are Calico's CustomResourceDefinitions (crd.projectcalico.org) installed in this cluster?",
    });
  }
  return new OperationError(`${what}: ${message}`, { code: 'KubeError' });
}

/** 422 whose only causes are this field (K8sErrorToCalico's special cases). */
function invalidOnly(s: KubeStatus, field: string): boolean {
  const causes = s.details?.causes ?? [];
  return causes.length > 0 && causes.every((c) => c.field === field);
}

/** The outcome of a write answer: ok, or why it did not apply; throws what is neither. */
function writeOutcome(client: KubeClient, res: KubeResponse, what: string): KubeWriteResult {
  if (res.status >= 200 && res.status < 300) return { ok: true, object: parseBody<KubeObject>(res, what) };
  const s = status(res);
  if (res.status === 404) {
    // A missing object, not a missing resource type (which has no name in its details).
    if (s.details?.name !== undefined) return { ok: false, reason: 'missing' };
  }
  if (res.status === 409) {
    if (s.reason === 'AlreadyExists') return { ok: false, reason: 'exists' };
    if ((s.message ?? '').includes('UID in precondition')) return { ok: false, reason: 'missing' };
    return { ok: false, reason: 'conflict' };
  }
  if (res.status === 422) {
    if (invalidOnly(s, 'metadata.uid')) return { ok: false, reason: 'missing' };
    if (invalidOnly(s, 'metadata.resourceVersion')) return { ok: false, reason: 'conflict' };
  }
  throw answerError(client, res, what);
}

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  'strategic-merge': 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export function kubeApi(client: KubeClient): KubeApi {
  const name = (loc: ObjectLocation): string =>
    `${loc.collection.plural}${loc.namespace !== undefined ? ` ${loc.namespace}/` : ' '}${loc.name}`;
  return {
    async get(loc) {
      const what = `get ${name(loc)}`;
      const res = await client.request({ method: 'GET', path: objectPath(loc) });
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw answerError(client, res, what);
      return parseBody<KubeObject>(res, what);
    },
    async create(collection, obj) {
      const res = await client.request({
        method: 'POST',
        path: collectionPath(collection, obj.metadata.namespace),
        body: encodeBody(obj),
      });
      const outcome = writeOutcome(client, res, `create ${collection.plural} ${obj.metadata.name ?? ''}`);
      // POST to a missing resource type is an error, never a "missing" key.
      if (!outcome.ok && outcome.reason === 'missing')
        throw answerError(client, res, `create ${collection.plural}`);
      return outcome;
    },
    async replace(collection, obj, subresource) {
      const loc = {
        collection,
        name: obj.metadata.name ?? '',
        ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
      };
      const res = await client.request({
        method: 'PUT',
        path: objectPath(loc, subresource),
        body: encodeBody(obj),
      });
      return writeOutcome(client, res, `update ${name(loc)}`);
    },
    async patch(loc, patch, type, subresource) {
      const res = await client.request({
        method: 'PATCH',
        path: objectPath(loc, subresource),
        body: encodeBody(patch),
        contentType: PATCH_TYPES[type],
      });
      return writeOutcome(client, res, `patch ${name(loc)}`);
    },
    async delete(loc, preconditions?: DeletePreconditions) {
      const body = preconditions
        ? encodeBody({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions })
        : undefined;
      const res = await client.request({
        method: 'DELETE',
        path: objectPath(loc),
        ...(body ? { body } : {}),
      });
      return writeOutcome(client, res, `delete ${name(loc)}`);
    },
  };
}
