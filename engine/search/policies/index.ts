/**
 * The built-in policies by name, and loading a policy from a file: a module whose default
 * export (or export named `policy`) is a SearchPolicy or a factory `(params) => SearchPolicy`.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, resolve, sep } from 'node:path';
import { InputError } from '../../../scenarios/errors.ts';
import { BUILT } from '../../base/built.ts';
import { resolveParams, type PolicyParams, type SearchPolicy } from '../policy.ts';
import { bestOfNPolicy } from './best-of-n.ts';
import { ditsPolicy } from './dits.ts';
import { optimaPolicy } from './optima.ts';
import { puctPolicy } from './puct.ts';
import { randomPolicy } from './random.ts';
import { uctPolicy } from './uct.ts';

type Factory = (params: PolicyParams) => SearchPolicy;

export const BUILTIN_POLICIES: Record<string, Factory> = {
  optima: optimaPolicy,
  dits: ditsPolicy,
  uct: uctPolicy,
  puct: puctPolicy,
  random: randomPolicy,
  'best-of-n': bestOfNPolicy,
};

function checkPolicy(value: unknown, where: string): SearchPolicy {
  const p = value as Partial<SearchPolicy> | null;
  const problems: string[] = [];
  if (!p || typeof p !== 'object') throw new InputError(`${where}: the policy is not an object`);
  if (typeof p.name !== 'string') problems.push('name must be a string');
  if (typeof p.select !== 'function') problems.push('select must be a function');
  for (const k of ['selections', 'rollouts'] as const) if (!Number.isInteger(p[k]) || (p[k] as number) < 1) problems.push(`${k} must be a positive integer`);
  if (typeof p.temperature !== 'number' || !(p.temperature >= 0)) problems.push('temperature must be a number >= 0');
  if (problems.length > 0) throw new InputError(`${where}: not a search policy: ${problems.join('; ')}`);
  return { params: {}, ...p } as SearchPolicy;
}

const hookedFolders = new Set<string>();

/**
 * The module `import ... from 'dits'` loads in a policy file: the package entry of the code that
 * is running, built or source, so that the file shares this thread's modules (the same TreeStore,
 * the same built-in policies) rather than loading a second copy.
 */
const DITS_ENTRY = (BUILT ? new URL('../../../dist/public.js', import.meta.url) : new URL('../public.ts', import.meta.url)).href;

/**
 * Registers file-hooks.mjs for the folder of a policy file, once per folder and thread: its
 * `.js`/`.ts` files load as ES modules wherever they are, and `import ... from 'dits'` names
 * this dits (a temp folder has no node_modules/dits).
 */
function hookFolder(file: string): void {
  const folder = pathToFileURL(dirname(file) + sep).href;
  if (hookedFolders.has(folder)) return;
  hookedFolders.add(folder);
  register(new URL('./file-hooks.mjs', import.meta.url), { data: { folder, dits: DITS_ENTRY } });
}

let typescript: Promise<void> | undefined;

/**
 * Lets this thread import policy files written in TypeScript, once per thread. Only JavaScript
 * code needs it - the build, and worker threads, which always run bundles - since the sources
 * run under tsx or vitest, which load TypeScript already.
 */
export function loadTypeScript(): Promise<void> {
  typescript ??= import('tsx/esm/api').then(({ register: registerTsx }) => void registerTsx());
  return typescript;
}

/** A built-in by name, or a policy module by path (`./my-policy.ts`). */
export async function loadPolicy(spec: string, params: PolicyParams): Promise<SearchPolicy> {
  const builtin = BUILTIN_POLICIES[spec];
  if (builtin) return checkPolicy(builtin(params), `policy ${spec}`);
  if (!/[/\\]|\.[cm]?[jt]s$/.test(spec)) {
    throw new InputError(`unknown policy '${spec}': built-ins are ${Object.keys(BUILTIN_POLICIES).join(', ')}, or give a file path`);
  }
  let mod: Record<string, unknown>;
  try {
    const file = resolve(spec);
    if (BUILT && /\.[cm]?tsx?$/.test(file)) await loadTypeScript();
    hookFolder(file);
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${spec}: cannot load the policy module: ${(e as Error).message}`);
  }
  const exported = mod.default ?? mod.policy;
  if (exported === undefined) throw new InputError(`${spec}: export the policy as default or as 'policy'`);
  return checkPolicy(typeof exported === 'function' ? (exported as Factory)(fileParams(spec, mod.params, params)) : noParams(spec, exported, params), spec);
}

/**
 * A file's parameters: those it declares by `export const params = { name: default, ... }`, with
 * the overrides applied and checked as a built-in's are; a file that declares none takes none.
 */
function fileParams(spec: string, declared: unknown, overrides: PolicyParams): PolicyParams {
  if (declared === undefined) {
    if (Object.keys(overrides).length === 0) return {};
    throw new InputError(`${spec} declares no parameters, so it takes none (given: ${Object.keys(overrides).join(', ')}): declare them with their defaults in 'export const params = { ... }'`);
  }
  if (!declared || typeof declared !== 'object' || Array.isArray(declared)) throw new InputError(`${spec}: 'export const params' must be an object of parameter names and defaults`);
  return resolveParams(spec, declared as PolicyParams, overrides);
}

/** A policy object, not a factory, has nothing to pass parameters to. */
function noParams(spec: string, policy: unknown, overrides: PolicyParams): unknown {
  if (Object.keys(overrides).length > 0) throw new InputError(`${spec} exports a policy object, which takes no parameters (given: ${Object.keys(overrides).join(', ')}): export a factory (params) => policy and declare them in 'export const params'`);
  return policy;
}
