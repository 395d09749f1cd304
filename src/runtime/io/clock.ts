/**
 * The time in ms for the code running now. Inside a read callback (an I/O
 * turn, see direct.ts) it is read once, when the callback starts, the way
 * HAProxy takes now_ms once per poll loop: the timers, queue and log stamps
 * of one request then cost one clock read instead of one each (Date.now()
 * was about 1% of a keep-alive request's CPU on the bench machine).
 * Anywhere else, it is Date.now().
 */
let turnAt = 0;
let inTurn = false;

/** the current time in ms (the turn's when inside one) */
export function nowMs(): number {
  return inTurn ? turnAt : Date.now();
}

/** a read callback starts */
export function enterTurn(): void {
  turnAt = Date.now();
  inTurn = true;
}

/** it ended (also when it threw) */
export function leaveTurn(): void {
  inTurn = false;
}
