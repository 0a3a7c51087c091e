/**
 * The trainer interface: what the engine asks of whoever can change a model. The simulated
 * model trains itself (engine/sim/sim-trainer.ts); a real model will be trained by an external
 * command or HTTP hook that writes a LoRA adapter the inference server loads.
 * A handle names a model state; handles are values, never mutated.
 */
import type { ChatMessage, ModelBackend } from './model-backend.ts';

/** A preference pair as a trainer consumes it: the prompt messages, the speaker, both continuations. */
export interface PreferenceExample {
  messages: ChatMessage[];
  speaker: string;
  chosen: string;
  rejected: string;
}

/** One SFT target: an agent's utterance after the messages it saw (§2.2: only the agent's own turns). */
export interface SftTarget {
  messages: ChatMessage[];
  speaker: string;
  text: string;
}

export interface SftOptions {
  lr: number;
  epochs: number;
}

/** How a multi-step DPO's learning rate moves (engine/sim/schedule.ts computes it as Hugging Face does). */
export type Scheduler = 'cosine' | 'constant';

export interface DpoOptions {
  /** Optimizer steps (the warm start: the reference's checkpoint-50). */
  steps: number;
  /** Pairs per step (the reference: batch 1 x gradient accumulation 8). */
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  /** How the rate moves over the steps (§3.4: cosine with warm-up 0.1). */
  scheduler: Scheduler;
  /** Share of the steps spent warming up (HF's warmup_ratio: ⌈ratio · steps⌉ steps). */
  warmupRatio: number;
  beta: number;
  /** Orders the pool into batches. */
  seed: number;
}

export interface ProbeStepOptions {
  optimizer: 'adamw' | 'sgd';
  lr: number;
  beta: number;
}

export interface Trainer<H> {
  /** Supervised fine-tuning from `start` (§2.2). */
  sft(start: H, targets: readonly SftTarget[], opts: SftOptions): Promise<H>;
  /**
   * DPO from `start` with `start` as the frozen reference: the warm-up on the whole candidate
   * pool (§3.2 step 1) and the iteration's final DPO on the selected pairs (§3.4 step 6).
   */
  dpo(start: H, pairs: readonly PreferenceExample[], opts: DpoOptions): Promise<H>;
  /** Exactly one optimizer step on `pairs` from `from`, with a fresh optimizer and `ref` frozen (§3.2 step 3). */
  probeStep(from: H, ref: H, pairs: readonly PreferenceExample[], opts: ProbeStepOptions): Promise<H>;
  /** A backend that samples from the model state `handle`. */
  backendFor(handle: H): ModelBackend;
  /**
   * Frees a model state the caller is done with (a probe's): an adapter is unloaded from the
   * inference server and its files deleted. Optional: in-process states are garbage.
   */
  release?(handle: H): Promise<void>;
}
