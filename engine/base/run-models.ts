/**
 * The models of a DITS run behind one seam: the base model, a trainer over model states, and
 * how a state is kept in the run folder. In process the states are the simulated model's
 * parameters (`<stem>.params.json`); over HTTP they are adapters a trainer hook wrote and the
 * inference server loads (`<stem>.adapter.json` points at one). The stages never know which.
 */
import type { Trainer } from './trainer.ts';

export interface RunModels<H> {
  /** The initial model: M(-1) of §3.4, and the readability scorer. */
  readonly base: H;
  readonly trainer: Trainer<H>;
  /** Keeps `handle` under `stem` (a path in the run folder without extension). */
  save(stem: string, handle: H): void;
  /** The state `save` kept under `stem`. */
  load(stem: string): H;
}
