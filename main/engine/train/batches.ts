/**
 * Packs a token stream into blocks of T + 1 tokens (inputs and next-token
 * targets; consecutive blocks overlap by one token so no target is lost) and
 * serves micro-batches in a shuffled order that is a pure function of the
 * seed, the epoch and a cursor. The cursor {epoch, index} is all that a
 * checkpoint needs to resume the exact same sequence of batches.
 */
import { createRng } from '../rng';
import { DatasetInputError } from './text-extract';
import type { MicroBatch } from './train-model';

export interface DataCursor {
  epoch: number;
  /** Blocks of this epoch already served. */
  index: number;
}

/** Number of whole blocks of T + 1 tokens in a stream. */
export function blockCount(streamLength: number, T: number): number {
  return streamLength < T + 1 ? 0 : Math.floor((streamLength - 1) / T);
}

/** Block i: tokens [i·T, i·T + T] of the stream. */
function copyBlock(stream: Int32Array, T: number, i: number, out: Int32Array, at: number): void {
  out.set(stream.subarray(i * T, i * T + T + 1), at);
}

/** Fisher-Yates with the engine's seeded generator: the same (seed, epoch) gives the same order everywhere. */
export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  const rng = createRng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export class BatchSource {
  readonly stream: Int32Array;
  readonly T: number;
  readonly blocks: number;
  private readonly seed: number;
  private orderEpoch = -1;
  private order: Uint32Array = new Uint32Array(0);

  constructor(stream: Int32Array, T: number, seed: number, label = 'training text') {
    this.stream = stream;
    this.T = T;
    this.seed = seed;
    this.blocks = blockCount(stream.length, T);
    if (this.blocks === 0) {
      const fit = Math.max(1, stream.length - 1);
      throw new DatasetInputError(
        `the ${label} has ${stream.length} tokens, fewer than one block of ${T + 1}; use a block of at most ${fit} tokens (--block ${fit}) or add more text`,
      );
    }
  }

  private orderFor(epoch: number): Uint32Array {
    if (epoch !== this.orderEpoch) {
      this.order = epochOrder(this.blocks, this.seed, epoch);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** B shuffled blocks from `cursor` on (wrapping into the next epoch), and the cursor after them. */
  next(cursor: DataCursor, B: number): { batch: MicroBatch; cursor: DataCursor } {
    const tokens = new Int32Array(B * (this.T + 1));
    let { epoch, index } = cursor;
    for (let b = 0; b < B; b++) {
      if (index >= this.blocks) {
        epoch++;
        index = 0;
      }
      copyBlock(this.stream, this.T, this.orderFor(epoch)[index], tokens, b * (this.T + 1));
      index++;
    }
    return { batch: { tokens, B, T: this.T }, cursor: { epoch, index } };
  }

  /**
   * Blocks in stream order, in micro-batches of up to B (validation). With more blocks than
   * `maxBlocks`, an evenly spaced subset: the held-out stream is the documents' tails one after
   * another, so its first blocks would be the first documents only.
   */
  *sequential(B: number, maxBlocks = Infinity): Generator<MicroBatch> {
    const n = Math.min(this.blocks, maxBlocks);
    const blockAt = (i: number): number => (n === this.blocks ? i : Math.floor((i * this.blocks) / n));
    for (let i0 = 0; i0 < n; i0 += B) {
      const rows = Math.min(B, n - i0);
      const tokens = new Int32Array(rows * (this.T + 1));
      for (let r = 0; r < rows; r++) copyBlock(this.stream, this.T, blockAt(i0 + r), tokens, r * (this.T + 1));
      yield { tokens, B: rows, T: this.T };
    }
  }
}
