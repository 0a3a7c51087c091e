/** Run models over an inference server: adapters trained by the hook, kept as `<stem>.adapter.json`. */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { writeJsonAtomic } from '../storage/files.ts';
import type { RunModels } from '../base/run-models.ts';
import { BASE_ADAPTER, type Adapter, type HookTrainer } from './hook-trainer.ts';

/** The adapter file records its folder relative to the run folder, so a moved run still finds it. */
interface AdapterFile {
  name: string | null;
  path: string | null;
}

export function hookRunModels(trainer: HookTrainer, root: string): RunModels<Adapter> {
  return {
    base: BASE_ADAPTER,
    trainer,
    save: (stem, a) => writeJsonAtomic(`${stem}.adapter.json`, { name: a.name, path: a.path === null ? null : relative(root, a.path) } satisfies AdapterFile),
    load: (stem) => {
      const f = JSON.parse(readFileSync(`${stem}.adapter.json`, 'utf8')) as AdapterFile;
      const path = f.path === null ? null : isAbsolute(f.path) ? f.path : join(root, f.path);
      return trainer.adopt({ name: f.name, path });
    },
  };
}
