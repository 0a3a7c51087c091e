/**
 * The simulated model is a testbed, not a party to the experiment: whether DITS beats Q-value
 * selection on it must be a result. So nothing it computes may depend on Q-values, influence, the
 * search policy or the selection mode of the run it serves. Two checks:
 * - by construction: no module of the simulator (engine/sim, the HTTP server aside) imports the
 *   search, influence, selection or report code, or anything above the engine;
 * - by behaviour: runs that differ only in selection mode, α, γ and search policy get a model
 *   and a trainer that answer every request identically.
 */
import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunEnv, DEFAULT_TRAINING } from '../actors/run-env.ts';
import { type RunManifest } from '../actors/run-manifest.ts';
import type { RunEnv } from '../actors/run-stages.ts';
import { SELECTION_MODES, type SelectionMode } from '../engine/influence/selection.ts';
import type { ChatMessage } from '../engine/base/model-backend.ts';
import { DITS_VERSION } from '../engine/base/version.ts';
import { resolveScenario } from '../scenarios/scenario-file.ts';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import type { PreferenceExample } from '../engine/base/trainer.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SIM = join(ROOT, 'engine', 'sim');
/** What the simulator may never reach: the experiment it serves. */
const FORBIDDEN = ['engine/influence', 'engine/search', 'engine/report', 'engine/tree', 'actors', 'workers', 'cli'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'server' ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('the simulated model never reads the experiment', () => {
  it('imports no search, influence, selection or report code', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SIM)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), m[1] as string));
        if (FORBIDDEN.some((f) => target === f || target.startsWith(`${f}/`))) offenders.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  const scenario = resolveScenario('hotpotqa').scenario;
  const manifest = (mode: SelectionMode, alpha: number, gamma: number, policy: 'optima' | 'dits'): RunManifest => ({
    dits_version: DITS_VERSION,
    command: 'run',
    config: {
      scenario,
      seed: 3,
      iterations: 1,
      sftTasks: 4,
      sftSamples: 2,
      searchTasks: 4,
      validationTasks: 3,
      testTasks: 4,
      groupSize: 2,
      selection: { mode, alpha, gamma },
      searchPolicy: policy,
      training: { ...DEFAULT_TRAINING },
    },
    tasks: { task_seed: 3 },
  });
  const arm = fc.record({
    mode: fc.constantFrom(...SELECTION_MODES),
    alpha: fc.double({ min: 0, max: 1, noNaN: true }),
    gamma: fc.double({ min: 0, max: 10, noNaN: true }),
    policy: fc.constantFrom('optima' as const, 'dits' as const),
  });
  const temp = mkdtempSync(join(tmpdir(), 'dits-independence-'));
  const env = (a: { mode: SelectionMode; alpha: number; gamma: number; policy: 'optima' | 'dits' }) =>
    createRunEnv(mkdtempSync(join(temp, 'run-')), manifest(a.mode, a.alpha, a.gamma, a.policy));

  /** Requests on the run's own tasks: each agent's first turn, and a turn after a few sampled utterances. */
  async function requests(e: RunEnv, seed: number, temperature: number): Promise<Array<{ messages: ChatMessage[]; speaker: string }>> {
    const model = e.models.trainer.backendFor(e.models.base);
    const out: Array<{ messages: ChatMessage[]; speaker: string }> = [];
    for (const task of [...e.tasks.test, ...e.tasks.validation]) {
      const setup = prepareDialogue(scenario, task, seed);
      const said: ChatMessage[] = [];
      for (let turn = 0; turn < 3; turn++) {
        const i = turn % 2;
        const messages: ChatMessage[] = [{ role: 'system', content: setup.systemPrompts[i] as string }, ...said];
        const speaker = scenario.agents[i]?.name as string;
        out.push({ messages, speaker });
        const [c] = await model.sample({ messages, speaker, n: 1, temperature, maxTokens: 400, seed: seed + turn });
        said.push({ role: 'assistant', content: c?.text as string });
      }
    }
    return out;
  }

  test.prop([arm, arm, fc.nat({ max: 1000 }), fc.constantFrom(0, 0.7, 1.5)], { numRuns: 8 })(
    'runs that differ in selection mode, α, γ and policy get the same samples, likelihoods and training',
    async (a, b, seed, temperature) => {
      const [ea, eb] = [await env(a), await env(b)];
      const reqs = await requests(ea, seed, temperature);
      expect(await requests(eb, seed, temperature)).toEqual(reqs);
      const [ma, mb] = [ea.models.trainer.backendFor(ea.models.base), eb.models.trainer.backendFor(eb.models.base)];
      for (const r of reqs) {
        const req = { ...r, n: 3, temperature, maxTokens: 400, seed };
        const sa = await ma.sample(req);
        expect(await mb.sample(req)).toEqual(sa);
        const text = sa[0]?.text as string;
        expect(await mb.logLikelihood(r.messages, text)).toEqual(await ma.logLikelihood(r.messages, text));
      }
      // Pairs of two samples of the same request: texts the model can produce, so training moves it.
      const pairs: PreferenceExample[] = [];
      for (const r of reqs.slice(0, 6)) {
        const [c, d] = await ma.sample({ ...r, n: 2, temperature: 1, maxTokens: 400, seed: seed + 1 });
        pairs.push({ messages: r.messages, speaker: r.speaker, chosen: c?.text as string, rejected: d?.text as string });
      }
      const opts = { steps: 3, batchSize: 2, lr: 0.1, scheduler: 'cosine' as const, warmupRatio: 0.1, beta: 0.5, seed };
      const trained = await ea.models.trainer.dpo(ea.models.base, pairs, opts);
      expect(await eb.models.trainer.dpo(eb.models.base, pairs, opts)).toEqual(trained);
    },
  );

  it('cleans up', () => {
    rmSync(temp, { recursive: true, force: true });
  });
});
