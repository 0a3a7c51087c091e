/**
 * A search policy as a run records it: a built-in name or a policy file, its parameters, and for
 * a file the sha256 of its bytes, so a resumed run or a reused comparison folder never silently
 * searches with a file that changed since.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../scenarios/errors.ts';
import type { PolicyParams, SearchPolicy } from './policy.ts';
import { BUILTIN_POLICIES, loadPolicy } from './policies/index.ts';

export interface PolicyRef {
  /** A built-in name, or the policy file's absolute path. */
  source: string;
  params: PolicyParams;
  /** sha256 of a policy file's bytes (absent for a built-in). */
  sha256?: string;
}

function fileHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch (e) {
    throw new InputError(`${file}: cannot read the policy file: ${(e as Error).message}`);
  }
}

/** The ref of `--policy SPEC` with its `--param`s: a built-in by name, a file by absolute path and hash. */
export function policyRef(spec: string, params: PolicyParams): PolicyRef {
  if (spec in BUILTIN_POLICIES) return { source: spec, params };
  const source = resolve(spec);
  return { source, params, sha256: fileHash(source) };
}

/** Loads the policy a ref names; a file whose bytes no longer match its hash is refused. */
export async function loadPolicyRef(ref: PolicyRef): Promise<SearchPolicy> {
  if (ref.sha256 !== undefined && fileHash(ref.source) !== ref.sha256) {
    throw new InputError(`${ref.source} changed since this run recorded it (sha256 ${ref.sha256.slice(0, 12)}...): restore it, or start a new run`);
  }
  return loadPolicy(ref.source, ref.params);
}

/** A short name for a policy in folder names and reports: the built-in's name, or the file's base name. */
export function policyLabel(spec: string): string {
  if (spec in BUILTIN_POLICIES) return spec;
  return (spec.split(/[\\/]/).pop() ?? spec).replace(/\.[cm]?[jt]s$/, '').replace(/[^\w-]+/g, '-');
}
