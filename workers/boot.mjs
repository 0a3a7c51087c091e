// Worker threads start without the TypeScript loader: register it, then load the worker module
// named by the pool (Piscina's `name` selects the export).
import { register } from 'tsx/esm/api';

register();
const worker = await import('./search-worker.ts');
export default worker.default;
