/**
 * Module hooks (node:module `register`) for policy files, run in Node's loader thread.
 *
 * tsx decides a file's module format the way Node's package rules do: a `.js` or `.ts` with no
 * `package.json` of `"type": "module"` above it is CommonJS. A policy in a temp folder is then
 * handed, ES module syntax and all, to the CommonJS loader, which fails ("Cannot require() ES
 * Module ... in a cycle", or TypeScript's types left in). So the folders of the policy files
 * dits loads are treated as if they held a package.json of `"type": "module"`: their `.js`,
 * `.jsx`, `.ts` and `.tsx` files are ES modules (`.cjs` and `.cts` stay CommonJS).
 *
 * And `dits` names the running dits wherever the importing file is (a temp folder has no
 * node_modules/dits): the package entry of the running code, built or source, as the main
 * thread says; `dits/...` is resolved as a self-reference from this package, through the
 * `exports` of its package.json.
 */
const folders = new Set();
let dits;

/** `data.folder`: a policy file's folder, as a file URL ending in '/'; `data.dits`: the URL `dits` resolves to. */
export function initialize(data) {
  folders.add(data.folder);
  dits = data.dits;
}

const SCRIPT = /\.[jt]sx?$/;

function inPolicyFolder(url) {
  if (!url.startsWith('file:') || url.includes('/node_modules/')) return false;
  const { pathname } = new URL(url);
  return SCRIPT.test(pathname) && [...folders].some((f) => url.startsWith(f));
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'dits') return nextResolve(dits, context);
  if (specifier.startsWith('dits/')) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
  const resolved = await nextResolve(specifier, context);
  const commonjs = resolved.format === 'commonjs' || resolved.format === 'commonjs-typescript';
  return commonjs && inPolicyFolder(resolved.url) ? { ...resolved, format: 'module' } : resolved;
}
