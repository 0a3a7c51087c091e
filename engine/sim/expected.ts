/**
 * Placeholder: another branch implements the exact expected test metric of one task at a
 * sampling temperature, by enumerating the simulated model's dialogue tree. This file only
 * fixes the signature the eval stage calls; it is replaced when that branch is merged.
 */
import type { DialogueSetup } from '../dialogue.ts';
import type { SimParams } from './params.ts';
import type { SimWorld } from './world.ts';

export async function expectedMetric(
  _world: SimWorld,
  _params: SimParams,
  _setup: DialogueSetup,
  _opts: { temperature: number; prune?: number },
): Promise<{ metric: number; mass: number }> {
  throw new Error('not implemented');
}
