/**
 * Health checks and tracked servers, as HAProxy 2.6 runs them.
 *
 * A checked server starts UP with its health at `rise`, so the first failed
 * check takes it DOWN; from then on `rise` successes bring it UP (health
 * jumps to rise+fall-1) and `fall` failures take it DOWN again. The checks
 * of all servers start spread over the first interval (server k of n waits
 * inter*k/n, HAProxy's start_checks), and each next check starts
 * `srv_getinter()` after the previous one ended: `inter` when fully up,
 * `downinter` when fully down, `fastinter` in between (each defaulting to
 * `inter`).
 *
 * A server with `track be/srv` has no check of its own: it follows its
 * target. Every state change updates `up`, the balancing algorithm and the
 * queues, and prints HAProxy's lines on stderr:
 *   [WARNING]  (pid) : Server be/srv is DOWN, reason: ..., check duration: Nms. ...
 *   [ALERT]    (pid) : backend 'be' has no server available!
 */
import type { Proxy } from '../../config/model.js';
import { dequeue, redistribute } from '../backend.js';
import { proxyLog } from '../log/index.js';
import type { RtProxy, RtServer, RuntimeModel } from '../model.js';
import { CheckRun, STATUS_DESC, statusHasCode, statusPassed, type CheckResult } from './run.js';
import { statsBackendState, statsCheckFailed, statsServerState } from '../stats/counters.js';

/** HAProxy's SRV_ADMF_* bits kept in RtServer.admin */
export const ADMF_FMAINT = 1;
export const ADMF_IMAINT = 2;
export const ADMF_CMAINT = 4;
export const ADMF_FDRAIN = 8;
export const ADMF_MAINT = ADMF_FMAINT | ADMF_IMAINT | ADMF_CMAINT;
import { buildCheckSpec, type CheckSpec } from './spec.js';

export type { CheckResult, CheckStatus } from './run.js';
export { buildCheckSpec } from './spec.js';

/** What a state change tells the outside (logs to syslog targets, stats). */
export interface ServerEvent {
  proxy: RtProxy;
  server?: RtServer;
  /** syslog level HAProxy uses for it: 'alert' (DOWN), 'notice' (UP), 'emerg' (no server left) */
  level: 'emerg' | 'alert' | 'notice';
  /** the message without the "[WARNING]  (pid) : " prefix */
  message: string;
}

export interface ChecksOptions {
  /** where the operator lines go (default: process.stderr) */
  write?: (line: string) => void;
  /** -q: no lines on stderr */
  quiet?: boolean;
  /** every state change, for log targets */
  onEvent?: (e: ServerEvent) => void;
}

export interface ChecksHandle {
  /** stops every check (soft or hard stop) */
  stop(): void;
  /** the live check state of a server, for stats and tests */
  state(s: RtServer): ServerCheckState | undefined;
  /**
   * The admin flags of `s` changed (maintenance, drain: the CLI or the
   * stats page): applies the new state, tells the balancing, prints
   * HAProxy's line and makes trackers follow. `before`: the old flags.
   */
  adminChanged(s: RtServer, before: number): void;
  /** `set weight` changed s.eweight from `old`: tells the balancing, and "no server available" when it was the last */
  weightChanged(s: RtServer, old: number): void;
  /**
   * `set server <b>/<s> health up|down`: the server's health becomes full or
   * nil, its state follows ("changed from CLI"); its checks, if any, go on
   * from there. Works on servers without checks too, as HAProxy's does.
   */
  forceHealth(s: RtServer, up: boolean): void;
}

export interface ServerCheckState {
  spec: CheckSpec;
  health: number;
  last?: CheckResult;
  /** a check is running now */
  readonly running: boolean;
}

/** HAProxy's srv_getinter(): the delay before the next check. */
function getInter(c: Checker): number {
  const sp = c.spec;
  if (c.health === sp.rise + sp.fall - 1) return sp.inter;
  if (c.health === 0 && !c.server.up) return sp.downinter || sp.inter;
  return sp.fastinter || sp.inter;
}

/** below this interval a check does not dictate the spreading of the others (SRV_CHK_INTER_THRES) */
const INTER_THRES = 1000;

class Checker implements ServerCheckState {
  health: number;
  last?: CheckResult;
  timer: NodeJS.Timeout | null = null;
  run: CheckRun | null = null;
  /** the check's own verdict: its server is up only if this and its tracked target agree */
  checkUp = true;

  get running(): boolean {
    return this.run !== null;
  }

  constructor(
    readonly mgr: ChecksManager,
    readonly server: RtServer,
    readonly spec: CheckSpec,
  ) {
    // UP, but one failure away from DOWN (HAProxy: "up, but will fall down at first failure")
    this.health = spec.rise;
  }

  schedule(delay: number): void {
    if (this.mgr.stopped) return;
    this.timer = setTimeout(this.fire, Math.max(0, delay));
    this.timer.unref?.();
  }

  private readonly fire = (): void => {
    this.timer = null;
    if (this.mgr.stopped) return;
    // maintenance pauses the checks (they start again when it ends)
    if (this.server.admin & ADMF_MAINT) return;
    this.run = new CheckRun(this.spec, this.onResult);
    this.run.start();
  };

  private readonly onResult = (r: CheckResult): void => {
    this.run = null;
    if (this.mgr.stopped) return;
    this.last = r;
    const sp = this.spec;
    if (statusPassed(r.status)) {
      if (this.health < sp.rise + sp.fall - 1) {
        this.health++;
        if (this.health >= sp.rise) this.health = sp.rise + sp.fall - 1;
      }
      if (this.health >= sp.rise && !this.checkUp) {
        this.checkUp = true;
        this.mgr.recompute(this.server, { check: r });
      }
    } else {
      if (this.checkUp) statsCheckFailed(this.server);
      if (this.health > 0) {
        this.health--;
        if (this.health < sp.rise) this.health = 0;
      }
      if (this.health === 0 && this.checkUp) {
        this.checkUp = false;
        this.mgr.recompute(this.server, { check: r });
      }
    }
    let next = getInter(this);
    const spread = this.mgr.spreadChecks;
    if (spread > 0) {
      let rv = Math.floor((next * spread) / 100);
      rv -= Math.floor(2 * rv * Math.random());
      next += rv;
    }
    this.schedule(next);
  };

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.run?.abort();
    this.run = null;
  }
}

type Cause = { check: CheckResult } | { via: RtServer } | { cli: true };

class ChecksManager implements ChecksHandle {
  stopped = false;
  readonly checkers = new Map<RtServer, Checker>();
  /** target → servers tracking it, in HAProxy's order (last resolved first) */
  readonly trackers = new Map<RtServer, RtServer[]>();
  spreadChecks = 0;
  private readonly write: (line: string) => void;

  constructor(
    readonly model: RuntimeModel,
    readonly opts: ChecksOptions,
  ) {
    this.write = opts.write ?? ((l) => void process.stderr.write(l));
  }

  start(): void {
    const g = this.model.config.global.directives;
    const num = (k: string) => {
      const d = g.find((x) => x.keyword === k);
      return d ? parseInt(d.args[0], 10) || 0 : 0;
    };
    this.spreadChecks = Math.min(50, num('spread-checks'));
    const maxSpread = parseMs(g.find((x) => x.keyword === 'max-spread-checks')?.args[0]);
    const defaults: readonly Proxy[] = this.model.config.defaults;
    const list: Checker[] = [];
    for (const px of this.model.proxies) {
      for (const s of px.servers) {
        if (s.tracks) {
          const l = this.trackers.get(s.tracks);
          if (l) l.unshift(s);
          else this.trackers.set(s.tracks, [s]);
        }
        const spec = buildCheckSpec(s, defaults);
        if (!spec) continue;
        const c = new Checker(this, s, spec);
        this.checkers.set(s, c);
        list.push(c);
      }
    }
    // a tracker starts in its target's state (a disabled target puts it in maintenance)
    for (const [target, ts] of this.trackers) {
      if (!target.up) for (const t of ts) this.follow(t, target, false);
    }
    // spread the first checks over the smallest interval of at least 1 s
    let minInter = 0;
    for (const c of list) {
      const i = getInter(c);
      if (i >= INTER_THRES && (!minInter || i < minInter)) minInter = i;
    }
    const n = list.length;
    list.forEach((c, pos) => {
      if (c.server.admin & ADMF_MAINT) return; // maintenance: no checks
      let m = Math.max(minInter, getInter(c));
      if (maxSpread && m > maxSpread) m = maxSpread;
      c.schedule(Math.floor((m * pos) / n));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.checkers.values()) c.stop();
  }

  state(s: RtServer): ServerCheckState | undefined {
    return this.checkers.get(s);
  }

  /** servers without checks set DOWN by `set server health down` */
  private readonly cliDown = new Set<RtServer>();

  forceHealth(s: RtServer, up: boolean): void {
    const c = this.checkers.get(s);
    if (c) {
      c.health = up ? c.spec.rise + c.spec.fall - 1 : 0;
      c.checkUp = up;
    } else if (up) this.cliDown.delete(s);
    else this.cliDown.add(s);
    this.recompute(s, { cli: true });
  }

  /** Should `s` be up now: its own check (if any) and its tracked target (if any) agree. */
  private wanted(s: RtServer): boolean {
    if (s.admin & ADMF_MAINT) return false;
    const c = this.checkers.get(s);
    if (c && !c.checkUp) return false;
    if (!c && this.cliDown.has(s)) return false;
    if (s.tracks && !s.tracks.up) return false;
    return true;
  }

  /** A check changed its verdict on `s`: apply the resulting state, then follow trackers. */
  recompute(s: RtServer, cause: Cause): void {
    const up = this.wanted(s);
    if (up === s.up) return;
    this.setState(s, up, cause);
  }

  private follow(t: RtServer, target: RtServer, report: boolean): void {
    const up = this.wanted(t);
    if (up === t.up) return;
    if (report) this.setState(t, up, { via: target });
    else {
      t.up = up;
      statsServerState(t, up);
      t.backend.lb?.update(t);
      const ts = this.trackers.get(t);
      if (ts) for (const x of ts) this.follow(x, t, false);
    }
  }

  private setState(s: RtServer, up: boolean, cause: Cause): void {
    const be = s.backend;
    const before = usable(be);
    s.up = up;
    statsServerState(s, up);
    be.lb?.update(s);
    let xferred = 0;
    if (up) {
      // streams waiting in the backend queue may now get this server
      const waiting = be.queue.filter((p) => p.waiting).length;
      dequeue(s);
      xferred = waiting - be.queue.filter((p) => p.waiting).length;
    } else xferred = redistribute(s);
    // a DOWN is reported once this loop turn's I/O callbacks ran: a connection to
    // the dead server refused in the same turn as the check is then released,
    // as HAProxy (whose connect() fails at once on a refused port) never counts it
    if (!up) {
      setImmediate(() => this.report(s, up, cause, before, xferred));
      return;
    }
    this.report(s, up, cause, before, xferred);
  }

  private report(s: RtServer, up: boolean, cause: Cause, before: { act: number; bck: number }, xferred: number): void {
    const be = s.backend;
    const after = usable(be);
    let msg = `${s.backup ? 'Backup ' : ''}Server ${be.name}/${s.name} is ${up ? 'UP' : 'DOWN'}`;
    if ('via' in cause) msg += ` via ${cause.via.backend.name}/${cause.via.name}`;
    else if ('cli' in cause) msg += ', changed from CLI';
    else msg += reason(cause.check);
    const rob = after.bck && !after.act ? ' Running on backup.' : '';
    const queued = s.queue.filter((p) => p.waiting).length;
    if (up) msg += `. ${after.act} active and ${after.bck} backup servers online.${rob} ${xferred} sessions requeued, ${queued} total in queue.`;
    else msg += `. ${after.act} active and ${after.bck} backup servers left.${rob} ${s.cur} sessions active, ${xferred} requeued, ${queued} remaining in queue.`;
    this.warn(msg, { proxy: be, server: s, level: up ? 'notice' : 'alert', message: msg });
    this.backendTransition(be, before, after);
    const ts = this.trackers.get(s);
    if (ts) for (const t of ts) this.follow(t, s, true);
  }

  /** "has no server available!" when the last usable server goes, and the backend's stats state */
  private backendTransition(be: RtProxy, before: { act: number; bck: number }, after: { act: number; bck: number }): void {
    if (before.act + before.bck > 0 && after.act + after.bck === 0) {
      statsBackendState(be, false);
      const m = `backend '${be.name}' has no server available!`;
      this.alert(m, { proxy: be, level: 'emerg', message: `backend ${be.name} has no server available!` });
    } else if (before.act + before.bck === 0 && after.act + after.bck > 0) statsBackendState(be, true);
  }

  weightChanged(s: RtServer, old: number): void {
    const be = s.backend;
    const now = s.eweight;
    s.eweight = old;
    const before = usable(be);
    s.eweight = now;
    be.lb?.update(s);
    if (now > 0 && s.up) dequeue(s);
    this.backendTransition(be, before, usable(be));
  }

  adminChanged(s: RtServer, before: number): void {
    const be = s.backend;
    const now = s.admin;
    const wasMaint = (before & ADMF_MAINT) !== 0;
    const isMaint = (now & ADMF_MAINT) !== 0;
    const wasDrain = (before & ADMF_FDRAIN) !== 0;
    const isDrain = (now & ADMF_FDRAIN) !== 0;
    const c = this.checkers.get(s);
    if (wasMaint && !isMaint && c) {
      // leaving maintenance: up, one failure away from down, and checked again
      c.health = c.spec.rise;
      c.checkUp = true;
      if (!c.timer && !c.run) c.schedule(getInter(c));
    }
    if (!wasMaint && isMaint && c) c.health = 0;
    const usableBefore = usable(be);
    const wasUp = s.up;
    const up = this.wanted(s);
    s.up = up;
    s.eweight = isDrain ? 0 : s.uweight;
    if (up !== wasUp) statsServerState(s, up);
    be.lb?.update(s);
    let xferred = 0;
    if (up && s.eweight > 0) {
      const waiting = be.queue.filter((p) => p.waiting).length;
      dequeue(s);
      xferred = waiting - be.queue.filter((p) => p.waiting).length;
    } else if (!wasMaint && isMaint) xferred = redistribute(s);
    const after = usable(be);
    const name = `${s.backup ? 'Backup ' : ''}Server ${be.name}/${s.name}`;
    const rob = after.bck && !after.act ? ' Running on backup.' : '';
    const queued = s.queue.filter((p) => p.waiting).length;
    let msg = '';
    if (!wasMaint && isMaint) {
      msg = wasUp
        ? `${name} is going DOWN for maintenance. ${after.act} active and ${after.bck} backup servers left.${rob} ${s.cur} sessions active, ${xferred} requeued, ${queued} remaining in queue.`
        : `${name} was DOWN and now enters maintenance. ${after.act} active and ${after.bck} backup servers left.${rob} ${s.cur} sessions active, ${xferred} requeued, ${queued} remaining in queue.`;
    } else if (wasMaint && !isMaint) {
      msg = up ? `${name} is UP/READY (leaving forced maintenance).` : `${name} is DOWN (leaving forced maintenance).`;
    } else if (!wasDrain && isDrain && up) {
      msg = `${name} enters drain state. ${after.act} active and ${after.bck} backup servers online.${rob} ${xferred} sessions requeued, ${queued} total in queue.`;
    } else if (wasDrain && !isDrain && up) {
      msg = `${name} is UP (leaving forced drain).`;
    }
    if (msg) this.warn(msg, { proxy: be, server: s, level: up ? 'notice' : 'alert', message: msg });
    this.backendTransition(be, usableBefore, after);
    const ts = this.trackers.get(s);
    if (ts) for (const t of ts) this.follow(t, s, true);
  }

  private warn(msg: string, e: ServerEvent): void {
    if (!this.opts.quiet) this.write(`[WARNING]  (${process.pid}) : ${msg}\n`);
    this.event(e);
  }

  private alert(msg: string, e: ServerEvent): void {
    if (!this.opts.quiet) this.write(`[ALERT]    (${process.pid}) : ${msg}\n`);
    this.event(e);
  }

  /** the same message goes to the proxy's log targets (HAProxy's send_log) */
  private event(e: ServerEvent): void {
    if (this.opts.onEvent) return this.opts.onEvent(e);
    proxyLog(e.proxy, e.level === 'emerg' ? 0 : e.level === 'alert' ? 1 : 5, e.message);
  }
}

/** ", reason: ..., code: N, info: "...", check duration: Nms" */
function reason(r: CheckResult): string {
  let s = `, reason: ${STATUS_DESC[r.status]}`;
  if (statusHasCode(r.status)) s += `, code: ${r.code}`;
  if (r.desc) s += `, info: "${asciiEncode(r.desc)}"`;
  s += `, check duration: ${r.duration}ms`;
  return s;
}

/** HAProxy's chunk_asciiencode with '"' escaped: non-printables as \xHH */
function asciiEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + s[i];
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x1b) out += '\\e';
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out;
}

/** srv_act / srv_bck: usable active and backup servers (up with a non-zero weight) */
function usable(be: RtProxy): { act: number; bck: number } {
  let act = 0;
  let bck = 0;
  for (const s of be.servers) {
    if (!s.up || s.eweight <= 0) continue;
    if (s.backup) bck++;
    else act++;
  }
  return { act, bck };
}

function parseMs(v: string | undefined): number {
  if (!v) return 0;
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(v);
  if (!m) return 0;
  const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return Math.floor(+m[1] * mult[m[2] ?? 'ms']);
}

/** Starts the health checks of every checked server (call once the listeners are open). */
export function startChecks(model: RuntimeModel, opts: ChecksOptions = {}): ChecksHandle {
  const m = new ChecksManager(model, opts);
  m.start();
  return m;
}
