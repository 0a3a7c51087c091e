// Worker threads start without the TypeScript loader: register it, then load the search worker.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./search-worker.ts');
export default worker.default;
