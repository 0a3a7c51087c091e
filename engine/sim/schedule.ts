/**
 * The learning-rate schedule of a multi-step DPO, as Hugging Face's `get_scheduler` computes it
 * for the reference's trainers (§3.4: warm-up ratio 0.1 and cosine decay; the warm start: 0.01):
 * W = ⌈ratio · T⌉ warm-up steps, factor k / W during them, then 0.5·(1 + cos(π·(k − W)/(T − W))).
 * Optimizer step k (0-based) uses lr · factor(k), so with any warm-up the first step has lr 0,
 * as it does there.
 */
import type { Scheduler } from '../base/trainer.ts';

export interface Schedule {
  scheduler: Scheduler;
  warmupRatio: number;
}

export function warmupSteps(total: number, warmupRatio: number): number {
  return Math.ceil(total * warmupRatio);
}

/** The factor of optimizer step `step` of `total`. */
export function scheduleFactor(step: number, total: number, s: Schedule): number {
  const w = warmupSteps(total, s.warmupRatio);
  if (step < w) return step / Math.max(1, w);
  if (s.scheduler === 'constant') return 1;
  const progress = (step - w) / Math.max(1, total - w);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
