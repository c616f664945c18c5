/**
 * Seeded random numbers for reproducible sampling: the same seed gives the same
 * tokens on every machine. mulberry32 (Tommy Ettinger): 32 bits of state, full
 * period 2^32, passes the usual statistical batteries well enough for sampling
 * (it is not cryptographic, and need not be).
 */
import type { Rng } from './types';

/**
 * A generator of numbers in [0, 1). Any finite number is accepted as a seed: it is
 * reduced to 32 bits, so seeds that differ only above 2^32 or in their fraction collide.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng: seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for when the caller gave none: different on every call. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}
