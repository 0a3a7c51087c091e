// Worker threads start without the TypeScript loader: register it, then load the worker module a
// pool asks for (Piscina's `name` picks the export). Each module reads its workerData on import,
// so only the one a pool uses is loaded.
import { register } from 'tsx/esm/api';

register();

export async function search(job) {
  return (await import('./search-worker.ts')).default(job);
}

export async function probe(pairs) {
  return (await import('./probe-worker.ts')).default(pairs);
}
