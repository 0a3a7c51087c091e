import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as schemas from '../../engine/export/schemas.ts';
import { generateArithmeticTasks } from '../../engine/sim/generate.ts';
import { cli, tempDir } from './helpers.ts';

const jsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Every DPO and SFT file of every trainer validates against that trainer's schema. */
function expectValidDatasets(run: string) {
  const d = join(run, 'datasets');
  const table: [string, { safeParse: (v: unknown) => { success: boolean } }, { safeParse: (v: unknown) => { success: boolean } }][] = [
    ['trl', schemas.trlDpoRow, schemas.trlSftMessagesRow],
    ['alignment-handbook', schemas.handbookDpoRow, schemas.handbookSftRow],
    ['openrlhf', schemas.openrlhfDpoRow, schemas.openrlhfSftRow],
    ['llama-factory', schemas.llamaFactoryDpoRow, schemas.llamaFactorySftRow],
    ['axolotl', schemas.axolotlDpoRow, schemas.axolotlSftRow],
  ];
  for (const [format, dpo, sft] of table) {
    for (const split of ['train', 'test']) {
      const dpoRows = jsonl(join(d, format, `dpo_${split}.jsonl`));
      const sftRows = jsonl(join(d, format, `sft_${split}.jsonl`));
      if (split === 'train') {
        expect(dpoRows.length, format).toBeGreaterThan(50);
        expect(sftRows.length, format).toBeGreaterThan(50);
      }
      for (const r of dpoRows) expect(dpo.safeParse(r).success, `${format} dpo_${split}`).toBe(true);
      for (const r of sftRows) expect(sft.safeParse(r).success, `${format} sft_${split}`).toBe(true);
    }
  }
}

describe('dits search at the default budget', () => {
  it('searches 200 GSM8K-format tasks and writes datasets every trainer accepts', async () => {
    const dir = tempDir();
    // GSM8K's own layout: a rationale, then "#### answer".
    const rows = generateArithmeticTasks(7, 200).map((t) => ({ question: t.question, answer: `${String(t.meta.solution ?? '')}\n#### ${t.answers[0]}` }));
    const file = join(dir, 'gsm8k-200.jsonl');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await cli(['search', '--scenario', 'gsm8k', '--tasks', file, '--seed', '2', '--out', join(dir, 'run'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8'))).toMatchObject({ tasks: 200, rollouts: 200 * 24 });
    expectValidDatasets(join(dir, 'run'));
  });

  it('searches 200 generated information-exchange tasks and writes datasets every trainer accepts', async () => {
    const dir = tempDir();
    const r = await cli(['search', '--scenario', 'hotpotqa', '--generate', '200', '--seed', '2', '--out', join(dir, 'run'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8'))).toMatchObject({ tasks: 200, rollouts: 200 * 24 });
    expectValidDatasets(join(dir, 'run'));
  });
});
