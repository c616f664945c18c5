/**
 * The two ranks of a tensor-parallel forward pass meet here, synchronously,
 * over shared memory: an all-reduce (both ranks get p0 + p1) after every
 * attention and MLP projection, and a gather of rank 1's logits columns to
 * rank 0 at the end. The forward pass is synchronous (LanguageModel.forward),
 * so the ranks wait with Atomics.wait, never with promises or messages.
 *
 * Control block (Int32, in its own small SharedArrayBuffer):
 *   [0], [1]  the step each rank has reached (it wrote its part for that step);
 *   [2]       the failure epoch: a rank that fails bumps it and notifies, so the
 *             other stops waiting at once instead of at the timeout;
 *   [3]       the length of the failure message, stored as UTF-8 from byte 64.
 * Steps are compared by signed difference, so they may wrap around. Each forward
 * starts its steps above any used before (`begin`), so a step counter left
 * behind by a failed forward can never be mistaken for a new one.
 *
 * Data (Float32, in a buffer rank 0 grows and sends with the forward command):
 * two sets of two slots (one per rank); step s uses set s % 2. A rank writes
 * set s % 2 again only at step s + 2, which it reaches only after the other
 * rank passed step s + 1, i.e. after it finished reading step s. After the
 * four slots lies the logits region (rank 1's columns), read by rank 0 only.
 */

const STEP = 0; // + rank
const EPOCH = 2;
const MESSAGE_BYTES = 3;
const MESSAGE_AT = 64;
const MESSAGE_MAX = 4096 - MESSAGE_AT;
export const CONTROL_BYTES = 4096;
/** Longest sleep between two looks at the failure epoch. */
const EPOCH_POLL_MS = 50;

export type Rank = 0 | 1;

/** Thrown when the other rank failed (its message is included) or did not answer in time. */
export class PeerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerError';
  }
}

/** Floats of data buffer needed for all-reduces of `slot` floats and a logits part of `logits` floats. */
export function dataFloats(slot: number, logits: number): number {
  return 4 * slot + logits;
}

export class Exchange {
  private readonly ctrl: Int32Array;
  private readonly text: Uint8Array;
  private data: Float32Array = new Float32Array(0);
  private slot = 0;
  private step = 0;
  private epoch = 0;
  /** Milliseconds this rank spent waiting for the other (for benchmarks: the cost of meeting). */
  waitedMs = 0;
  /** Meeting points passed. */
  meetings = 0;

  constructor(
    control: SharedArrayBuffer,
    readonly rank: Rank,
    /** Longest wait for the other rank at one meeting point. */
    private readonly timeoutMs: number,
  ) {
    if (control.byteLength < CONTROL_BYTES) throw new Error(`all-reduce: control buffer has ${control.byteLength} bytes, needs ${CONTROL_BYTES}`);
    this.ctrl = new Int32Array(control, 0, MESSAGE_AT / 4);
    this.text = new Uint8Array(control, MESSAGE_AT, MESSAGE_MAX);
  }

  /** Uses `data` (shared by both ranks) for all-reduces of up to `slot` floats; the rest is the logits region. */
  setData(data: SharedArrayBuffer, slot: number): void {
    if (data.byteLength < dataFloats(slot, 0) * 4) throw new Error(`all-reduce: data buffer of ${data.byteLength} bytes is too small for slots of ${slot} floats`);
    this.data = new Float32Array(data);
    this.slot = slot;
  }

  /** The current failure epoch; a forward started under it stops when it changes. */
  currentEpoch(): number {
    return Atomics.load(this.ctrl, EPOCH);
  }

  /**
   * Starts a forward pass: steps continue from `firstStep` (the same on both
   * ranks), under failure epoch `epoch` (both ranks read it before starting).
   */
  begin(firstStep: number, epoch: number): void {
    this.step = firstStep | 0;
    this.epoch = epoch;
    if (Atomics.load(this.ctrl, EPOCH) !== epoch) throw this.peerFailure();
  }

  /** The step counter after the last meeting point (the next forward starts above it). */
  get lastStep(): number {
    return this.step;
  }

  /** p0 + p1, the same bits on both ranks (both add rank 0's part to rank 1's, in that order). */
  allReduce(part: Float32Array): Float32Array {
    const n = part.length;
    if (n > this.slot) throw new Error(`all-reduce: ${n} floats do not fit the slot of ${this.slot}; grow the buffer first`);
    const step = (this.step + 1) | 0;
    const set = (step & 1) * 2 * this.slot;
    this.data.set(part, set + this.rank * this.slot);
    this.meet(step);
    const a = this.data.subarray(set, set + n);
    const b = this.data.subarray(set + this.slot, set + this.slot + n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
    return out;
  }

  /** Rank 1: hands its logits columns to rank 0. */
  sendLogits(part: Float32Array): void {
    if (this.rank !== 1) throw new Error('all-reduce: only rank 1 sends logits');
    const at = 4 * this.slot;
    if (at + part.length > this.data.length) throw new Error(`all-reduce: ${part.length} logits do not fit the buffer`);
    this.data.set(part, at);
    this.meet((this.step + 1) | 0);
  }

  /** Rank 0: rank 1's logits columns (a copy of `n` floats). */
  receiveLogits(n: number): Float32Array {
    if (this.rank !== 0) throw new Error('all-reduce: only rank 0 receives logits');
    const at = 4 * this.slot;
    if (at + n > this.data.length) throw new Error(`all-reduce: ${n} logits do not fit the buffer`);
    this.meet((this.step + 1) | 0);
    return this.data.slice(at, at + n);
  }

  /**
   * Tells the other rank this forward failed (it stops waiting at once and
   * throws `message`). Returns the new epoch.
   */
  fail(message: string): number {
    const bytes = new TextEncoder().encode(message.slice(0, MESSAGE_MAX / 4));
    const n = Math.min(bytes.length, MESSAGE_MAX);
    this.text.set(bytes.subarray(0, n));
    Atomics.store(this.ctrl, MESSAGE_BYTES, n);
    const epoch = Atomics.add(this.ctrl, EPOCH, 1) + 1;
    Atomics.notify(this.ctrl, STEP + 0);
    Atomics.notify(this.ctrl, STEP + 1);
    return epoch;
  }

  /** Announces that this rank reached `step` and waits until the other rank has too. */
  private meet(step: number): void {
    Atomics.store(this.ctrl, STEP + this.rank, step);
    Atomics.notify(this.ctrl, STEP + this.rank);
    const other = STEP + (1 - this.rank);
    const start = performance.now();
    const deadline = start + this.timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.ctrl, other);
      // The other rank may already be one step further (it saw this one first): at or past is done.
      if (((seen - step) | 0) >= 0) break;
      if (Atomics.load(this.ctrl, EPOCH) !== this.epoch) throw this.peerFailure();
      const left = deadline - performance.now();
      if (left <= 0) {
        this.fail(`rank ${this.rank} gave up waiting at step ${step} (the other rank is at ${seen})`);
        throw new PeerError(`parallel: rank ${1 - this.rank} did not reach step ${step} within ${this.timeoutMs} ms (it is at ${seen}; it crashed or hangs)`);
      }
      // Sleeps while the other's step is still `seen` (a new step wakes it at once). A failure
      // notifies too, but may land between the epoch check above and this wait: hence the slices.
      Atomics.wait(this.ctrl, other, seen, Math.min(left, EPOCH_POLL_MS));
    }
    this.step = step;
    this.meetings++;
    this.waitedMs += performance.now() - start;
  }

  private peerFailure(): PeerError {
    const n = Atomics.load(this.ctrl, MESSAGE_BYTES);
    const message = new TextDecoder().decode(this.text.slice(0, n));
    return new PeerError(`parallel: the other rank failed: ${message || 'no message'}`);
  }
}
