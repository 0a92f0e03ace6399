/**
 * KVBackend.watch over Kubernetes' watch API (kdd.md §7): one watch per collection the range covers
 * (`?watch=true&resourceVersion=<rev>&allowWatchBookmarks=true`), each event presented as its key
 * and mapped to a WatchBatch at the object's resourceVersion. A watch the server ends (its timeout)
 * is resumed from the last revision seen; a 410 Gone (the history is compacted) ends the watch with
 * a WatchCompactedError (the caller reads afresh and watches again); an API server unreachable for
 * longer than outageMs ends it with the UnreachableError.
 */
import { compareGoStrings, parseGoJson } from '../../codec/go-json.js';
import { isCalicoError, OperationError, UnreachableError, WatchCompactedError } from '../../errors.js';
import type { Watch, WatchBatch, WatchRequest } from '../contract.js';
import { collectionPath } from './api.js';
import type { KubeClient, KubeStream } from './client.js';
import type { KddMapping, KubeCollection, KubeObject, PresentedValue } from './mapping.js';

interface WatchEventLine {
  type?: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object?: KubeObject & { code?: number; message?: string };
}

/** Pause between reconnects while the API server is unreachable. */
const RETRY_MS = 500;

export async function watchKdd(
  client: KubeClient,
  mappings: readonly KddMapping[],
  req: WatchRequest,
  onChanges: (batch: WatchBatch) => void,
  present: (m: KddMapping, obj: KubeObject, c: KubeCollection) => PresentedValue | undefined,
): Promise<Watch> {
  const end = req.rangeEnd ?? req.key + '\0';
  const inRange = (key: string): boolean =>
    compareGoStrings(key, req.key) >= 0 && (end === '\0' || compareGoStrings(key, end) < 0);
  let fail!: (err: Error) => void;
  const ended = new Promise<never>((_ok, reject) => (fail = reject));
  ended.catch(() => undefined);
  let closed = false;
  const streams = new Set<KubeStream>();
  const timers = new Set<NodeJS.Timeout>();

  const follow = async (mapping: KddMapping, collection: KubeCollection): Promise<void> => {
    let revision = req.startRevision - 1;
    let outageSince: number | undefined;
    const onLine = (line: string): void => {
      let event: WatchEventLine;
      try {
        event = parseGoJson(line) as WatchEventLine;
      } catch {
        return;
      }
      const obj = event.object;
      if (!obj) return;
      if (event.type === 'ERROR') {
        if (obj.code === 410)
          throw new WatchCompactedError(`watch ${collection.plural}: ${obj.message ?? 'gone'}`);
        throw new OperationError(`watch ${collection.plural}: ${obj.message ?? 'failed'}`, {
          code: 'KubeWatchFailed',
        });
      }
      const rv = Number(obj.metadata?.resourceVersion);
      if (Number.isFinite(rv)) revision = rv;
      if (event.type === 'BOOKMARK') return;
      const p = present(mapping, obj, collection);
      if (!p) {
        // An object changing into one that is not presented (an affinity marked deleted) is gone.
        const hidden = event.type === 'ADDED' ? undefined : hiddenKey(mapping, obj, collection);
        if (hidden !== undefined && inRange(hidden) && Number.isFinite(rv))
          onChanges({ revision: rv, events: [{ type: 'delete', key: hidden, modRevision: rv }] });
        return;
      }
      if (!inRange(p.key)) return;
      const modRevision = p.modRevision ?? rv;
      onChanges({
        revision: modRevision,
        events: [
          event.type === 'DELETED'
            ? { type: 'delete', key: p.key, modRevision }
            : {
                type: 'put',
                kv: { key: p.key, value: p.value, createRevision: modRevision, modRevision, version: 1 },
              },
        ],
      });
    };
    while (!closed) {
      const query = new URLSearchParams({
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: String(revision),
      });
      let stream: KubeStream;
      try {
        stream = await client.stream(`${collectionPath(collection)}?${query.toString()}`, (line) => {
          try {
            onLine(line);
          } catch (err) {
            fail(err as Error);
          }
        });
      } catch (err) {
        if (!(err instanceof UnreachableError)) throw err;
        outageSince ??= Date.now();
        if (Date.now() - outageSince > req.outageMs) throw err;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => (timers.delete(t), resolve()), RETRY_MS);
          timers.add(t);
        });
        continue;
      }
      outageSince = undefined;
      streams.add(stream);
      if (stream.status !== 200) stream.close();
      if (stream.status === 410)
        throw new WatchCompactedError(`watch ${collection.plural}: the revision is compacted`);
      // A resource type that is not installed has nothing to report.
      if (stream.status === 404) return;
      if (stream.status !== 200)
        throw new OperationError(`watch ${collection.plural}: the API server answered ${stream.status}`, {
          code: 'KubeWatchFailed',
        });
      await stream.done.catch(() => undefined);
      streams.delete(stream);
    }
  };

  for (const mapping of mappings)
    for (const collection of mapping.collections)
      follow(mapping, collection).catch((err: unknown) => {
        if (!closed)
          fail(isCalicoError(err) || err instanceof Error ? (err as Error) : new Error(String(err)));
      });

  return {
    ended,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of streams) s.close();
    },
  };
}

function hiddenKey(mapping: KddMapping, obj: KubeObject, collection: KubeCollection): string | undefined {
  try {
    return mapping.hiddenKey?.(obj, collection);
  } catch {
    return undefined;
  }
}
