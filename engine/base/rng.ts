/**
 * Seeded, keyed randomness. Every random draw in dits comes from a generator whose seed is
 * derived from a key such as (run seed, task id, node path, sample index), so a result never
 * depends on scheduling, thread count or the order in which work finishes.
 */
import { createHash } from 'node:crypto';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

export type KeyPart = string | number;

/**
 * A 32-bit unsigned seed for a key. Parts are joined unambiguously (length-prefixed), so
 * ("ab", "c") and ("a", "bc") give different seeds.
 */
export function keyedSeed(...parts: KeyPart[]): number {
  const h = createHash('sha256');
  for (const p of parts) {
    const s = typeof p === 'number' ? `n${p}` : `s${p}`;
    h.update(`${s.length}:${s}`);
  }
  return h.digest().readUInt32LE(0);
}

/** A mutable random stream; create one per keyed unit of work and never share it. */
export class Rng {
  private readonly gen: JumpableRandomGenerator;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  static keyed(...parts: KeyPart[]): Rng {
    return new Rng(keyedSeed(...parts));
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.below needs n >= 1, got ${n}`);
    return uniformInt(this.gen, 0, n - 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick on an empty list');
    return items[this.below(items.length)] as T;
  }

  /** Fisher-Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** Index drawn from unnormalised non-negative weights. */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] as number;
    if (!(total > 0)) throw new RangeError('Rng.weighted needs a positive total weight');
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return i;
    }
    // Rounding can leave u at a hair above zero: the last positive weight takes it.
    for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] as number) > 0) return i;
    return weights.length - 1;
  }
}
