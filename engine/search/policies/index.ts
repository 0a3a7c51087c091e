/**
 * The built-in policies by name, and loading a policy from a file: a module whose default
 * export (or export named `policy`) is a SearchPolicy or a factory `(params) => SearchPolicy`.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { InputError } from '../../../scenarios/errors.ts';
import type { PolicyParams, SearchPolicy } from '../policy.ts';
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

/** A built-in by name, or a policy module by path (`./my-policy.ts`). */
export async function loadPolicy(spec: string, params: PolicyParams): Promise<SearchPolicy> {
  const builtin = BUILTIN_POLICIES[spec];
  if (builtin) return checkPolicy(builtin(params), `policy ${spec}`);
  if (!/[/\\]|\.[cm]?[jt]s$/.test(spec)) {
    throw new InputError(`unknown policy '${spec}': built-ins are ${Object.keys(BUILTIN_POLICIES).join(', ')}, or give a file path`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(spec)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${spec}: cannot load the policy module: ${(e as Error).message}`);
  }
  const exported = mod.default ?? mod.policy;
  if (exported === undefined) throw new InputError(`${spec}: export the policy as default or as 'policy'`);
  return checkPolicy(typeof exported === 'function' ? (exported as Factory)(params) : exported, spec);
}
