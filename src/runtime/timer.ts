/**
 * One timer per connection, with an explicit mode. Activity only stamps a
 * number (no timer call per chunk); the single Node timer wakes at the
 * earliest possible deadline and re-arms itself lazily when activity moved
 * the deadline. Changing the mode re-computes the deadline once.
 */

import { nowMs } from './io/clock.js';

/** What the connection is waiting for; names follow HAProxy's timeouts. */
export type TimerMode =
  | 'none'
  | 'client' // waiting on the client (idle, or request not complete)
  | 'connect' // connecting to a server
  | 'turnaround' // pause between two connection attempts
  | 'queue' // waiting for a server slot
  | 'data' // both sides established: min(client, server), refreshed by activity both ways
  | 'tunnel'
  | 'server' // waiting for the server's response
  | 'http-request'
  | 'http-keep-alive'
  | 'tarpit'
  | 'inspect'; // tcp-request inspect-delay

export interface TimerOwner {
  /** called once when the deadline passes; the owner decides what the expiry means */
  onTimeout(mode: TimerMode): void;
}

let now = Date.now();
/** A cheap clock: refreshed by every timer callback and by stamp(). */
export function clock(): number {
  return now;
}

export class StreamTimer {
  mode: TimerMode = 'none';
  /** length of the current period in ms; 0 means no timeout */
  private period = 0;
  /** start of the period: set by arm(), moved by activity when the mode is activity-driven */
  private start = 0;
  private handle: NodeJS.Timeout | null = null;
  private pending = false;
  private firesAt = 0;
  /** true when activity restarts the period */
  private sliding = false;

  constructor(private readonly owner: TimerOwner) {}

  /** Enters a mode with a period (0 = infinite). Sliding periods restart on touch(). */
  arm(mode: TimerMode, ms: number, sliding = false): void {
    this.mode = mode;
    this.period = ms;
    this.sliding = sliding;
    this.start = now = nowMs();
    if (ms <= 0) {
      this.clear();
      return;
    }
    const at = this.start + ms;
    if (this.pending && this.firesAt <= at) return; // the pending wake-up will re-arm lazily
    this.schedule(at);
  }

  /** Activity: restarts a sliding period without touching the Node timer. */
  touch(): void {
    if (this.sliding) this.start = nowMs();
  }

  /** Remaining time in the current period (for logs / queue accounting). */
  elapsed(): number {
    return nowMs() - this.start;
  }

  clear(): void {
    this.mode = 'none';
    this.period = 0;
    if (this.handle) {
      clearTimeout(this.handle);
      this.handle = null;
      this.pending = false;
    }
  }

  private schedule(at: number): void {
    const delay = Math.max(0, at - now);
    this.firesAt = at;
    this.pending = true;
    const h = this.handle as unknown as { _idleTimeout?: number } | null;
    if (h && typeof h._idleTimeout === 'number') {
      // same Timeout object, new delay: Node re-inserts it without allocating
      h._idleTimeout = delay || 1;
      this.handle!.refresh();
    } else {
      if (this.handle) clearTimeout(this.handle);
      this.handle = setTimeout(this.fire, delay);
    }
  }

  private readonly fire = (): void => {
    now = Date.now();
    this.pending = false;
    if (this.period <= 0) return;
    const at = this.start + this.period;
    if (at > now) {
      this.schedule(at);
      return;
    }
    const mode = this.mode;
    this.mode = 'none';
    this.period = 0;
    this.owner.onTimeout(mode);
  };
}
