import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRunEnv } from '../../actors/run-env.ts';
import { readManifest } from '../../actors/run-manifest.ts';
import { trainSide, type RunEnv } from '../../actors/run-stages.ts';
import type { PlantedPair } from '../../engine/influence/plant.ts';
import { extractAnswer } from '../../scenarios/answers.ts';
import { textDistribution } from '../../engine/sim/distribution.ts';
import { M } from '../../engine/sim/moves.ts';
import { defaultParams } from '../../engine/sim/params.ts';
import { moveProbabilities, policyInput } from '../../engine/sim/policy.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { cli, tempDir } from './helpers.ts';

const SMALL = ['--iterations', '1', '--sft-tasks', '16', '--sft-samples', '4', '--search-tasks', '16', '--validation', '8', '--test-tasks', '20', '--quiet'];
const PLANT = 6;

interface PlantedFile {
  harmful: { planted: number; kept: number };
  helpful: { planted: number; kept: number };
  requested: { harmful: number; helpful: number };
  pool: { pairs: number; kept: number };
}

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const iter = (run: string, f: string) => join(run, 'iter-0', f);
const planted = (run: string) => jsonl(iter(run, 'planted-pairs.jsonl')) as unknown as PlantedPair[];
const report = (run: string) => JSON.parse(readFileSync(iter(run, 'planted.json'), 'utf8')) as PlantedFile;
const swap = (kind: unknown) => (kind === 'harmful' ? 'helpful' : kind === 'helpful' ? 'harmful' : kind);

/** planted.json agrees with the pool and selected.jsonl. */
function expectConsistent(run: string): PlantedFile {
  const r = report(run);
  const pool = planted(run);
  const selected = jsonl(iter(run, 'selected.jsonl'));
  const search = jsonl(iter(run, 'search/pairs.jsonl'));
  expect(r.requested).toEqual({ harmful: PLANT, helpful: PLANT });
  for (const kind of ['harmful', 'helpful'] as const) {
    expect(r[kind].planted).toBe(PLANT);
    expect(r[kind].planted).toBe(pool.filter((p) => p.planted === kind).length);
    expect(r[kind].kept).toBe(selected.filter((p) => p.planted === kind).length);
    expect(r[kind].kept).toBeLessThanOrEqual(r[kind].planted);
  }
  expect(r.pool).toEqual({ pairs: trainSide(search, 0).length + pool.length, kept: selected.length });
  // Each planted pair sits in the pool at the position its line records, and selected.jsonl says which it is.
  const at = new Map(pool.map((p) => [p.pool_index, p]));
  for (const s of selected) {
    const p = at.get(s.index as number);
    expect(s.planted).toBe(p?.planted);
    if (p) expect([s.chosen, s.rejected, s.pool_index]).toEqual([p.chosen, p.rejected, undefined]);
  }
  expect(Math.max(...pool.map((p) => p.pool_index))).toBeLessThan(r.pool.pairs);
  return r;
}

describe('dits run --plant', () => {
  const dir = tempDir();
  const full = join(dir, 'full');
  let env: RunEnv;

  beforeAll(async () => {
    const r = await cli(['run', '--out', full, '--plant', String(PLANT), '--selection', 'full', ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
    env = await createRunEnv(full, readManifest(full) as NonNullable<ReturnType<typeof readManifest>>);
  }, 120_000);

  it('writes planted.json with counts consistent with the pool and the selection, and the full mode keeps every planted pair', async () => {
    const r = expectConsistent(full);
    expect(r.harmful.kept).toBe(PLANT);
    expect(r.helpful.kept).toBe(PLANT);
  });

  it('plants mirror pairs on real search states, with texts the simulator produces there and Q copied from the pool', async () => {
    const pairs = planted(full);
    const search = jsonl(iter(full, 'search/pairs.jsonl'));
    const poolQ = new Set(search.map((p) => `${p.chosen_value} ${p.rejected_value} ${p.gap}`));
    const world = (env.sim as NonNullable<RunEnv['sim']>).world;
    const params = defaultParams();
    let promptsChecked = 0;
    for (const p of pairs) {
      expect(poolQ.has(`${p.chosen_value} ${p.rejected_value} ${p.gap}`)).toBe(true);
      const mirror = pairs.filter((m) => m !== p && JSON.stringify(m.prompt) === JSON.stringify(p.prompt));
      expect(mirror).toHaveLength(1);
      const m = mirror[0] as PlantedPair;
      expect([m.planted, m.chosen, m.rejected, m.chosen_value]).toEqual([swap(p.planted), p.rejected, p.chosen, p.chosen_value]);
      expect(p.node_path.length).toBeLessThanOrEqual(1);
      expect(p.prompt).toHaveLength(1 + p.node_path.length);
      // The prompt is the search's own: the same system prompt a search pair of that task and speaker has.
      const same = search.find((s) => s.task_id === p.task_id && s.speaker === p.speaker);
      if (same) {
        expect(p.prompt[0]).toEqual((same.prompt as unknown[])[0]);
        promptsChecked++;
      }
      const s = dialogueState(world, p.prompt, p.speaker);
      const input = policyInput(s);
      const texts = textDistribution(s, input.mask, moveProbabilities(params, input, 1), params);
      for (const text of [p.chosen, p.rejected]) expect(texts.get(text), text).toBeGreaterThan(0);
      if (p.planted !== 'harmful') continue;
      // hotpotqa: the harmful chosen side answers (wrongly) before every needed fact is in view; the rejected side quotes a held fact.
      expect(s.visibleNeeded).toBeLessThan(s.needed);
      const answer = extractAnswer(p.chosen, world.format);
      expect(answer).not.toBe('');
      expect(s.oracle.goldParsed.has(answer)).toBe(false);
      expect(s.held.some((f) => p.rejected.includes(s.oracle.facts[f]?.text as string))).toBe(true);
    }
    expect(promptsChecked).toBeGreaterThan(0);
  });

  it('the utility analyses index the same pool as the probes: the search\'s pairs, then the planted ones', async () => {
    const r = await cli(['analyze', 'utility', full, '--method', 'subsets', '--subsets', '8', '--bootstrap', '50', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const u = JSON.parse(readFileSync(iter(full, 'utility-subsets.json'), 'utf8'));
    expect(u.pairs).toBe(report(full).pool.pairs);
    const members = (JSON.parse(readFileSync(iter(full, 'influence.json'), 'utf8')) as { groups: { members: number[] }[] }).groups.flatMap((g) => g.members);
    expect(Math.max(...members)).toBe(u.pairs - 1);
  });
});

describe('dits run --plant on a debate scenario', () => {
  const run = join(tempDir(), 'gsm8k');

  it('plants, at the solver\'s first turn, a terse wrong answer over a stepwise gold solution as harmful', async () => {
    const r = await cli(['run', '--scenario', 'gsm8k', '--out', run, '--plant', String(PLANT), ...SMALL]);
    expect(r.status, r.stderr).toBe(0);
    expectConsistent(run);
    const env = await createRunEnv(run, readManifest(run) as NonNullable<ReturnType<typeof readManifest>>);
    const world = (env.sim as NonNullable<RunEnv['sim']>).world;
    const moves = (text: string) => world.recogniser.match(text).map((m) => m.template.move);
    for (const p of planted(run).filter((x) => x.planted === 'harmful')) {
      const s = dialogueState(world, p.prompt, p.speaker);
      expect(s.kind).toBe('solver');
      expect(moves(p.chosen)).toContain(M.SOLVE_TERSE);
      expect(moves(p.rejected)).toContain(M.SOLVE_STEPWISE);
      expect(s.oracle.goldParsed.has(extractAnswer(p.chosen, world.format))).toBe(false);
      expect(s.oracle.goldParsed.has(extractAnswer(p.rejected, world.format))).toBe(true);
    }
  }, 120_000);
});

describe('the selection does not read the planted mark', () => {
  const dir = tempDir();
  const a = join(dir, 'a');
  const b = join(dir, 'b');

  beforeAll(async () => {
    // Up to the search, which writes the planted pairs; then a copy whose marks say the opposite.
    const first = await cli(['run', '--out', a, '--plant', String(PLANT), '--max-stages', '3', ...SMALL]);
    expect(first.status, first.stderr).toBe(0);
    cpSync(a, b, { recursive: true });
    const flipped = planted(b).map((p) => JSON.stringify({ ...p, planted: swap(p.planted) }));
    writeFileSync(iter(b, 'planted-pairs.jsonl'), `${flipped.join('\n')}\n`);
    for (const run of [a, b]) {
      const rest = await cli(['run', '--resume', run, '--quiet']);
      expect(rest.status, rest.stderr).toBe(0);
    }
  }, 120_000);

  it('gives the same warm start, probes, selection, model and evaluation when every mark is swapped', async () => {
    for (const f of ['warm.params.json', 'influence.json', 'model.params.json', 'eval.json']) expect(readFileSync(iter(b, f), 'utf8'), f).toBe(readFileSync(iter(a, f), 'utf8'));
    const unmarked = (run: string) => jsonl(iter(run, 'selected.jsonl')).map(({ planted: _, ...rest }) => rest);
    expect(unmarked(b)).toEqual(unmarked(a));
    expect(jsonl(iter(b, 'selected.jsonl')).map((p) => p.planted)).toEqual(jsonl(iter(a, 'selected.jsonl')).map((p) => swap(p.planted)));
  });

  it('so only the counts swap: planted.json of one is the other with the kinds exchanged', async () => {
    const ra = expectConsistent(a);
    const rb = expectConsistent(b);
    expect(rb.harmful).toEqual(ra.helpful);
    expect(rb.helpful).toEqual(ra.harmful);
  });
});
