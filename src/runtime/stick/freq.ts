/**
 * HAProxy's period frequency counters (freq_ctr with a period): events are
 * added to the current period; once it is over the counter rotates (the
 * current count becomes the previous one, or both reset when more than a
 * whole period passed). A read is a sliding window: the whole current count
 * plus the share of the previous period that still overlaps the window,
 * rounded down, with HAProxy's anti-flapping rule for very low rates.
 * The period start is kept even (HAProxy uses bit 0 as a lock).
 */

export class FreqCtr {
  /** start of the current period (ms) */
  tick = 0;
  curr = 0;
  prev = 0;
}

/** Adds `inc` events at `now`; returns the current period's count. */
export function freqAdd(f: FreqCtr, period: number, inc: number, now: number): number {
  if (now - f.tick < period) {
    f.curr = (f.curr + inc) >>> 0;
    return f.curr;
  }
  f.prev = f.curr;
  f.curr = inc >>> 0;
  let tick = f.tick + period;
  if (now - tick >= period) {
    // more than one whole period went by without events
    f.prev = 0;
    tick = now;
  }
  f.tick = tick - (tick & 1);
  return f.curr;
}

/** The events over the last `period` ms as of `now` (read_freq_ctr_period). */
export function freqRead(f: FreqCtr, period: number, now: number): number {
  let curr = f.curr;
  let past = f.prev;
  let remain = f.tick + period - now;
  if (remain < 0) {
    // the current period is over: it becomes the past one, if still in the window
    remain += period;
    past = remain >= 0 ? curr : 0;
    curr = 0;
  }
  // very low rates read as the past count (no flapping between 0 and 1)
  if (!curr && past <= 1) return past;
  if (period <= 0) return curr;
  return Math.floor((past * remain + curr * period) / period);
}

/** Sets a counter so that it reads `value` during a whole period (CLI "set table"). */
export function freqSet(f: FreqCtr, value: number, now: number): void {
  f.tick = now - (now & 1);
  f.prev = 0;
  f.curr = value >>> 0;
}
