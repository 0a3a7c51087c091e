import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../scenarios/scenario-file.ts';
import { llama3Count } from '../../scenarios/tokens.ts';
import type { Task } from '../../scenarios/task.ts';
import type { ChatMessage } from '../../engine/base/model-backend.ts';
import { SimBackend } from '../../engine/sim/backend.ts';
import { moveTexts } from '../../engine/sim/distribution.ts';
import { generateIeTasks } from '../../engine/sim/generate.ts';
import { OTHER } from '../../engine/sim/likelihood.ts';
import { IE_MOVES, M } from '../../engine/sim/moves.ts';
import { defaultParams } from '../../engine/sim/params.ts';
import { policyInput } from '../../engine/sim/policy.ts';
import { agentPrompts } from './helpers.ts';
import { dialogueState } from '../../engine/sim/state.ts';
import { createSimWorld } from '../../engine/sim/world.ts';

const hotpot = resolveScenario('hotpotqa').scenario;
const tasks = generateIeTasks(8, 10);
const world = createSimWorld(hotpot, tasks);
const t = tasks[0] as Task;
const alice: ChatMessage[] = [{ role: 'system', content: agentPrompts(hotpot, t, 1).get('Alice') as string }];
const state = dialogueState(world, alice, 'Alice');
const ce = (ll: { logprob: number; tokens: number }) => -ll.logprob / ll.tokens;

describe('context-free scoring (messages = [])', () => {
  const backend = new SimBackend(world);

  it('reads its own phrasings as far more readable than text it cannot produce', async () => {
    // Alice opening, and Alice after Bob answered (so that agreeing is possible).
    const answered = dialogueState(world, [...alice, { role: 'assistant', content: 'Bob: <A>Brno</A>' }], 'Alice');
    for (const [s, m] of [...IE_MOVES.map((m) => [state, m] as const), [answered, M.AGREE] as const]) {
      expect(policyInput(s).mask[m]).toBe(m === M.AGREE && s === state ? 0 : 1);
      if (!policyInput(s).mask[m]) continue;
      for (const { text } of moveTexts(s, m)) {
        const ll = await backend.logLikelihood([], text);
        expect(ll.tokens).toBe(llama3Count(text));
        expect(ce(ll)).toBeGreaterThan(0);
        expect(ce(ll)).toBeLessThan(3);
      }
    }
    for (const text of ['Alice: {"facts": [1, 2]} lorem ipsum', 'qwertyuiop', 'Alice: <A>Paris</A> and then some more words']) {
      expect(ce(await backend.logLikelihood([], text))).toBeGreaterThan(OTHER.perToken);
    }
  });

  it('charges slot text more than template words: quoting a fact reads worse than asking', async () => {
    const ask = moveTexts(state, M.ASK)[0]?.text as string;
    const share = moveTexts(state, M.SHARE_TERSE)[0]?.text as string;
    expect(ce(await backend.logLikelihood([], share))).toBeGreaterThan(ce(await backend.logLikelihood([], ask)));
  });

  it('does not depend on the adapter (it stands for the frozen initial model)', async () => {
    const text = moveTexts(state, M.SHARE_TERSE)[0]?.text as string;
    const trained = { ...defaultParams(), weights: defaultParams().weights.map((w, i) => w + (i % 7) - 3) };
    backend.registerAdapter('other', trained);
    expect(await backend.logLikelihood([], text, 'other')).toEqual(await backend.logLikelihood([], text));
    expect(await backend.logLikelihood(alice, text, 'other')).not.toEqual(await backend.logLikelihood(alice, text));
  });
});

describe('scoring in context', () => {
  it('scores text it cannot produce (here: cut short) on the OTHER channel, finitely', () => {
    const backend = new SimBackend(world);
    const text = moveTexts(state, M.SHARE_TERSE)[0]?.text as string;
    const cut = text.slice(0, 20);
    const ll = backend.logLikelihoodSync(alice, cut);
    expect(ll.logprob).toBe(-OTHER.fixed - OTHER.perToken * llama3Count(cut));
    expect(backend.logLikelihoodSync(alice, text).logprob).toBeGreaterThan(ll.logprob);
    expect(backend.logLikelihoodSync(alice, 'no speaker prefix').logprob).toBe(-OTHER.fixed - OTHER.perToken * llama3Count('no speaker prefix'));
  });
});

describe('SimBackend', () => {
  it('selects registered adapters and names the registered ones for an unknown adapter', async () => {
    const backend = new SimBackend(world);
    expect(backend.name).toBe('sim');
    const req = { messages: alice, speaker: 'Alice', n: 1, temperature: 0, maxTokens: 500, seed: 1 };
    const forced = { ...defaultParams(), weights: new Float64Array(defaultParams().weights) };
    forced.weights[M.ASK] = 60;
    backend.registerAdapter('asker', forced);
    expect((await backend.sample({ ...req, adapter: 'asker' }))[0]?.text).toBe(moveTexts(state, M.ASK)[0]?.text);
    expect((await backend.sample(req))[0]?.text).not.toBe(moveTexts(state, M.ASK)[0]?.text);
    await expect(backend.sample({ ...req, adapter: 'nope' })).rejects.toThrow(/unknown adapter 'nope' \(registered: asker\)/);
    expect(backend.countTokens('Alice: hello there')).toBe(llama3Count('Alice: hello there'));
  });
});
