/**
 * Debates of three and more agents, end to end: simulate, search (every trainer format) and run
 * finish, an agent that never speaks in a dialogue gets no SFT example of it, and a decider
 * ends the dialogue only with its own answer.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cli, REPO, tempDir } from './helpers.ts';

const dir = tempDir('dits-agents-');

/** The built-in mmlu debate with `extra` peers after Alice and Bob, and `decider` when given. */
function scenarioFile(name: string, extra: number, decider?: string): string {
  const base = parse(readFileSync(join(REPO, 'scenarios/builtin/mmlu.yaml'), 'utf8'));
  const peers = Array.from({ length: extra }, (_, i) => ({
    name: i === 0 ? 'Judge' : `Peer${i}`,
    role: 'peer',
    prompt: 'You are ${name}. Weigh what ${partners} say.\n\nQuestion: ${question}\n\nGive your final answer as <A>{answer}</A>.',
  }));
  const scenario = { ...base, name, agents: [...base.agents, ...peers], turns: { ...base.turns, ...(decider ? { decider } : {}) } };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

// Raw MMLU layout: headerless question,A,B,C,D,answer.
const csv = join(dir, 'mmlu.csv');
writeFileSync(
  csv,
  Array.from({ length: 40 }, (_, i) => `"What is ${i} plus ${i % 7}?",${i + (i % 7)},${i + 1},${i * 2 + 3},${i + 10},A`).join('\n') + '\n',
);

const SMALL_RUN = ['--iterations', '1', '--sft-tasks', '8', '--search-tasks', '8', '--validation', '4', '--test-tasks', '8'];
const FORMATS = ['trl', 'alignment-handbook', 'openrlhf', 'llama-factory', 'axolotl'];

const jsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('a debate of three agents without a decider', () => {
  const scenario = scenarioFile('mmlu-three', 1);

  it('searches to the end and writes every trainer format; SFT examples cover only agents who spoke', async () => {
    const out = join(dir, 'search-three');
    const r = await cli(['search', '--scenario', scenario, '--tasks', csv, '--format', 'mmlu', '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.tasks).toBe(40);
    expect(existsSync(join(out, 'search.ckpt'))).toBe(false);
    for (const f of FORMATS) expect(existsSync(join(out, 'datasets', f)), f).toBe(true);
    // Each SFT example trains its agent on at least one turn: no view of a silent judge.
    for (const ex of jsonl(join(out, 'datasets', 'trl', 'sft_train.jsonl'))) {
      const agent = ex.messages[0].content.match(/^You are (\w+)\./)?.[1];
      const turns = ex.messages.filter((m: { role: string; content: string }) => m.role === 'assistant' && m.content.startsWith(`${agent}:`));
      expect(turns.length, `${agent} in ${JSON.stringify(ex.messages).slice(0, 200)}`).toBeGreaterThan(0);
    }
  });
});

describe('a debate whose Judge decides', () => {
  const scenario = scenarioFile('mmlu-judged', 1, 'Judge');

  it('simulate ends every agreed dialogue on the Judge\'s own answer', async () => {
    const out = join(dir, 'sim-judged');
    const r = await cli(['simulate', '--scenario', scenario, '--tasks', csv, '--format', 'mmlu', '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const dialogues = jsonl(join(out, 'trajectories.jsonl'));
    expect(dialogues.some((d) => d.termination === 'decision')).toBe(true);
    for (const d of dialogues) {
      expect(['decision', 'cap', 'overflow']).toContain(d.termination);
      if (d.termination === 'decision') {
        const last = d.utterances.at(-1);
        expect(last.speaker).toBe('Judge');
        expect(last.answer).toBe(d.final_answer);
      }
    }
  });

  it('search and one iteration of run finish', async () => {
    const search = await cli(['search', '--scenario', scenario, '--tasks', csv, '--format', 'mmlu', '--out', join(dir, 'search-judged'), '--quiet']);
    expect(search.status, search.stderr).toBe(0);
    const run = await cli(['run', '--scenario', scenario, '--tasks', csv, '--format', 'mmlu', ...SMALL_RUN, '--out', join(dir, 'run-judged')]);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(dir, 'run-judged', 'iter-0', 'eval.json'))).toBe(true);
  });

  it('names an unknown decider with the agents there are', async () => {
    const bad = JSON.parse(readFileSync(scenarioFile('mmlu-bad', 1, 'Judge'), 'utf8'));
    bad.turns.decider = 'Carol';
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = await cli(['scenario', 'validate', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('decider Carol is not one of the agents (Alice, Bob, Judge)');
  });
});

describe('a debate of ten agents', () => {
  it('searches generated tasks to the end', async () => {
    const r = await cli(['search', '--scenario', scenarioFile('mmlu-ten', 8), '--generate', '30', '--out', join(dir, 'search-ten'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
  });
});

const REAL = fileURLToPath(new URL('../../../shared/fixtures/mmlu/machine_learning_test.csv', import.meta.url));
if (!existsSync(REAL)) console.warn(`three-agent run on the real MMLU file skipped: ${REAL} not found`);

describe.skipIf(!existsSync(REAL))('three agents on the real MMLU file (shared fixtures)', () => {
  it('simulate, search (every trainer format) and run finish', async () => {
    const scenario = scenarioFile('mmlu-real', 1, 'Judge');
    const sim = await cli(['simulate', '--scenario', scenario, '--tasks', REAL, '--out', join(dir, 'real-sim'), '--quiet']);
    expect(sim.status, sim.stderr).toBe(0);
    const search = await cli(['search', '--scenario', scenario, '--tasks', REAL, '--out', join(dir, 'real-search'), '--quiet']);
    expect(search.status, search.stderr).toBe(0);
    for (const f of FORMATS) expect(existsSync(join(dir, 'real-search', 'datasets', f)), f).toBe(true);
    const run = await cli(['run', '--scenario', scenario, '--tasks', REAL, ...SMALL_RUN, '--out', join(dir, 'real-run')]);
    expect(run.status, run.stderr).toBe(0);
  });
});
