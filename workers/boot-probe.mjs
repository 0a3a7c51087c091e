// Worker threads start without the TypeScript loader: register it, then load the probe worker.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./probe-worker.ts');
export default worker.default;
