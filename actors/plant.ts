/**
 * `dits run --plant N` (docs/influence.md §7): after the search, known-harmful and known-helpful
 * pairs built from the iteration's own trees go to `iter-t/planted-pairs.jsonl`, which the
 * candidate pool merges into the search's pairs at the positions it records; after the selection, `iter-t/planted.json`
 * counts what it kept of each kind. The `planted` mark rides along in the pool's lines and in
 * selected.jsonl for the reader only: the stages train and select on prompt, texts and Q.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareDialogue } from '../engine/dialogue/dialogue.ts';
import { JsonlWriter, writeJsonAtomic } from '../engine/storage/files.ts';
import { mergePlanted, plantedKept, plantPairs, type PlantedKept, type PlantedLine, type PlantedPair, type PoolQ } from '../engine/influence/plant.ts';
import { readTreeRecords } from '../engine/tree/codec.ts';
import { speakingOrder } from '../scenarios/prompt.ts';
import type { Task } from '../scenarios/task.ts';
import type { SimWorld } from '../engine/sim/world.ts';
import type { SelectionMode } from '../engine/influence/selection.ts';
import type { KeyPart } from '../engine/base/rng.ts';
import type { Scenario } from '../scenarios/schema.ts';

export const PLANTED_PAIRS = 'planted-pairs.jsonl';
export const PLANTED = 'planted.json';

const readJsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** The planted pairs of an iteration folder; none when the run plants nothing. */
export function readPlantedPairs(dir: string): PlantedPair[] {
  const file = join(dir, PLANTED_PAIRS);
  return existsSync(file) ? (readJsonl(file) as PlantedPair[]) : [];
}

/** The iteration's candidate pool from the search's pairs: the planted pairs merged in at their positions. */
export function withPlantedPairs<T>(searchPairs: readonly T[], dir: string): (T | PlantedLine)[] {
  return mergePlanted(searchPairs, readPlantedPairs(dir));
}

/**
 * Writes `dir/planted-pairs.jsonl` from the search's trees in `dir/search`, when the run plants.
 * `searchSeed` is the seed the search dealt the context with, so prompts are the search's own.
 */
export interface PlantRequest {
  /** Pairs of each kind to plant. */
  counts: { harmful: number; helpful: number };
  scenario: Scenario;
  /** The iteration's search tasks, and the simulated model whose rules decide what harms. */
  tasks: readonly Task[];
  world: SimWorld;
  key: readonly KeyPart[];
}

export async function writePlantedPairs(r: PlantRequest, o: { dir: string; searchSeed: number; pool: readonly PoolQ[] }): Promise<void> {
  const { scenario, counts } = r;
  const tasks = new Map(r.tasks.map((task) => [task.id, task]));
  const prompts = new Map<string, readonly string[]>();
  const systemPrompts = (id: string) => {
    let p = prompts.get(id);
    if (!p) prompts.set(id, (p = prepareDialogue(scenario, tasks.get(id) as Task, o.searchSeed).systemPrompts));
    return p;
  };
  const planted = plantPairs({
    world: r.world,
    trees: readTreeRecords(join(o.dir, 'search', 'trees.msgpack')),
    systemPrompts,
    order: speakingOrder(scenario),
    pool: o.pool,
    counts,
    key: r.key,
  });
  const w = new JsonlWriter(join(o.dir, PLANTED_PAIRS));
  for (const p of planted) await w.write(p);
  await w.close();
}

export interface PlantedReport extends PlantedKept {
  /** What the run asked for per kind (planted is less when the trees had too few qualifying states). */
  requested: { harmful: number; helpful: number };
  selection: { mode: SelectionMode; alpha: number; gamma: number };
  /** The whole candidate pool (search pairs and planted) and what the selection kept of it. */
  pool: { pairs: number; kept: number };
}

/** Writes `dir/planted.json` after the selection, when the run plants. */
export function writePlantedCounts(o: { dir: string; pool: number; requested: PlantedReport['requested']; selection: PlantedReport['selection'] }): void {
  const { requested } = o;
  const kept = readJsonl(join(o.dir, 'selected.jsonl')) as { planted?: PlantedPair['planted'] }[];
  const report: PlantedReport = {
    ...plantedKept(readPlantedPairs(o.dir), kept),
    requested: { ...requested },
    selection: o.selection,
    pool: { pairs: o.pool, kept: kept.length },
  };
  writeJsonAtomic(join(o.dir, PLANTED), report);
}
