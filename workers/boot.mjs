// Worker threads start without the TypeScript loader: register it, then load the worker module a
// pool asks for (Piscina's `name` picks the export). Each module reads its workerData on import,
// so only the one a pool uses is loaded. The module's function is kept after the first task: an
// import() per task would go through the loader's resolve hook, a round trip to tsx's hook
// thread every time (it cost a worker about a fifth of its time).
import { register } from 'tsx/esm/api';

register();

let searchTask;
export async function search(job) {
  searchTask ??= (await import('./search-worker.ts')).default;
  return searchTask(job);
}

let probeGroup;
export async function probe(pairs) {
  probeGroup ??= (await import('./probe-worker.ts')).default;
  return probeGroup(pairs);
}
