/**
 * What the stats outputs need to know about the running process, gathered
 * once at start: HAProxy's proxy uuids, default fullconn values, the
 * listeners of each frontend, and the handles to act on them (pause a
 * frontend, change a server's admin state through the checks module).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Config } from '../../config/model.js';
import type { ChecksHandle } from '../checks/index.js';
import type { RtProxy, RtServer, RuntimeModel } from '../model.js';
import { enableListenerCounters, feCounters } from './counters.js';
import {
  FLAG_SHLGNDS,
  TYPE_BE,
  TYPE_FE,
  TYPE_SO,
  TYPE_SV,
  backendRow,
  frontendRow,
  listenerRow,
  serverRow,
  type ListenerInfo,
  type StatRow,
  type StatsEnv,
} from './fields.js';
import { ADMF_MAINT } from '../checks/index.js';

/** A frontend listener as the stats see it (src/runtime/listener.ts Listener). */
export interface ListenerLike {
  readonly fe: RtProxy;
  readonly conf: { options: Map<string, string[]>; addresses: { family: string; host: string; port?: number }[] };
  readonly maxconn: number;
  readonly name?: string;
  readonly id: number;
  readonly servers: { listening: boolean }[];
  readonly streams: Set<unknown>;
  close(): Promise<void>;
  open(): Promise<void>;
  resumeAccepting(): void;
}

/** What the runtime hands to the stats module (src/runtime/index.ts). */
export interface StatsHost {
  readonly model: RuntimeModel;
  readonly listeners: ListenerLike[];
  checks(): ChecksHandle | null;
  currentConnections(): number;
  stopping(): boolean;
}

export interface DumpFilter {
  /** proxy uuid, -1 all */
  iid: number;
  /** bit mask of row types (1 FE, 2 BE, 4 SV, 8 SO), -1 all */
  types: number;
  /** server/listener id, -1 all */
  sid: number;
  hideMaint: boolean;
  hideDown: boolean;
  flags: number;
  /** only these proxies (stats scope), null for all */
  scope?: (px: RtProxy) => boolean;
}

export class StatsContext implements StatsEnv {
  readonly model: RuntimeModel;
  readonly config: Config;
  private readonly uuids = new Map<RtProxy, number>();
  private readonly fullconns = new Map<RtProxy, number>();
  /** frontends paused by `disable frontend` */
  readonly pausedFrontends = new Set<RtProxy>();

  /** HAProxy's global maxconn: configured, or computed from the FD limit (compute_ideal_maxconn) */
  readonly maxconn: number;
  /** the soft FD limit at start */
  readonly ulimit: number;
  /** HAProxy's maxsock (what it reports as Ulimit-n and Maxsock) */
  readonly maxsock: number;
  readonly nbthread: number;

  constructor(readonly host: StatsHost) {
    this.model = host.model;
    this.config = host.model.config;
    this.ulimit = softFdLimit();
    this.nbthread = this.config.global.nbthread || availableParallelism();
    const ideal = this.idealMaxconn();
    this.maxconn = this.model.globalMaxconn || ideal.maxconn;
    this.maxsock = this.model.globalMaxconn ? this.maxconn * 2 + ideal.reserved : ideal.maxsock;
    this.computeUuids();
    this.computeFullconn();
    for (const l of host.listeners) if (l.fe.option('socket-stats')) enableListenerCounters(l);
    for (const px of this.model.proxies) if (px.isFrontend) feCounters(px);
  }

  /**
   * compute_ideal_maxconn(): the FDs left once listeners, checks and the
   * poller's own are counted (19 more are held by the process), two per connection
   */
  private idealMaxconn(): { maxconn: number; maxsock: number; reserved: number } {
    let listeners = this.config.global.statsSockets.length;
    for (const l of this.host.listeners) listeners += Math.max(1, l.conf.addresses.length);
    let checks = 0;
    for (const px of this.model.proxies) for (const s of px.servers) if (s.conf.options.has('check') && !s.tracks) checks++;
    // the CLI's own connections (`stats maxconn`, 10) are reserved too when a stats socket exists
    const cliMaxconn = Number(this.config.global.directives.filter((d) => d.keyword === 'stats maxconn').pop()?.args[0]) || 10;
    const reserved = listeners + checks + 3 * this.nbthread + 10 + (this.config.global.statsSockets.length ? cliMaxconn : 0);
    const remain = this.ulimit - reserved;
    const maxconn = Math.max(100, Math.floor(remain / 2));
    return { maxconn, maxsock: maxconn * 2 + reserved, reserved };
  }

  /** a frontend's connection limit as HAProxy reports it (its maxconn, else the global one) */
  feMaxconn(px: RtProxy): number {
    return px.maxconn || this.maxconn;
  }

  openStreams(px: RtProxy): number {
    let n = 0;
    for (const l of this.listenersOf(px)) for (const st of l.streams) if ((st as { state?: string }).state === 'txn') n++;
    return n;
  }

  /** HAProxy numbers proxies in declaration order from 1 (2 when a stats socket exists) */
  private computeUuids(): void {
    const used = new Set<number>();
    for (const p of this.config.proxies) if (p.id !== undefined) used.add(p.id);
    let next = this.config.global.statsSockets.length ? 2 : 1;
    const byConf = new Map(this.model.proxies.map((px) => [px.conf, px]));
    for (const p of this.config.proxies) {
      let id = p.id;
      if (id === undefined) {
        while (used.has(next)) next++;
        id = next;
        used.add(id);
      }
      next++;
      const px = byConf.get(p);
      if (px) this.uuids.set(px, id);
    }
  }

  /** fullconn: 10% of the summed maxconn of the frontends that can reach the backend (1 when none) */
  private computeFullconn(): void {
    for (const be of this.model.proxies) {
      if (!be.isBackend) continue;
      if (be.conf.fullconn) {
        this.fullconns.set(be, be.conf.fullconn);
        continue;
      }
      let total = 0;
      for (const fe of this.model.frontends) {
        const reaches = fe === be || fe.defaultBackend === be || fe.switching.some((r) => r.backend === be);
        if (reaches) total += this.feMaxconn(fe);
      }
      this.fullconns.set(be, Math.floor((total + 9) / 10) || 1);
    }
  }

  uuid(px: RtProxy): number {
    return this.uuids.get(px) ?? px.id;
  }

  fullconn(px: RtProxy): number {
    return this.fullconns.get(px) ?? 1;
  }

  get checks(): ChecksHandle | null {
    return this.host.checks();
  }

  get checksHandle(): ChecksHandle | null {
    return this.host.checks();
  }

  feStatus(px: RtProxy): string {
    if (this.pausedFrontends.has(px)) return 'PAUSED';
    if (this.host.stopping()) return 'STOP';
    return 'OPEN';
  }

  listenersOf(px: RtProxy): ListenerLike[] {
    return this.host.listeners.filter((l) => l.fe === px);
  }

  listeners(px: RtProxy): ListenerInfo[] {
    const out: ListenerInfo[] = [];
    for (const l of this.listenersOf(px)) {
      const a = l.conf.addresses[0];
      let addr = 'unix';
      if (a && a.family !== 'unix' && a.family !== 'abns') {
        const host = a.host.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
        addr = host.includes(':') ? `[${host}]:${a.port ?? 0}` : `${host}:${a.port ?? 0}`;
      }
      out.push({
        ref: l,
        name: l.name ?? `sock-${l.id}`,
        luid: l.id,
        maxconn: l.maxconn,
        cur: l.streams.size,
        addr,
        paused: this.pausedFrontends.has(px),
      });
    }
    return out;
  }

  findProxy(name: string): RtProxy | undefined {
    return this.model.byName.get(name);
  }

  findBackend(name: string): RtProxy | undefined {
    if (name.startsWith('#')) {
      const id = Number(name.slice(1));
      return this.model.proxies.find((p) => p.isBackend && this.uuid(p) === id);
    }
    return this.model.backends.get(name);
  }

  findFrontend(name: string): RtProxy | undefined {
    if (name.startsWith('#')) {
      const id = Number(name.slice(1));
      return this.model.proxies.find((p) => p.isFrontend && this.uuid(p) === id);
    }
    const px = this.model.byName.get(name);
    return px && px.isFrontend ? px : undefined;
  }

  findServer(be: RtProxy, name: string): RtServer | undefined {
    if (name.startsWith('#')) {
      const id = Number(name.slice(1));
      return be.servers.find((s) => s.id === id);
    }
    return be.servers.find((s) => s.name === name);
  }

  /** the rows of `show stat` / `;csv` / the page, in HAProxy's order */
  rows(f: DumpFilter, each: (px: RtProxy, r: StatRow | null, phase: 'begin' | 'row' | 'end') => void): void {
    const bound = f.iid !== -1 || f.types !== -1 || f.sid !== -1;
    const types = bound ? f.types : -1;
    for (const px of this.model.proxies) {
      if (!px.isFrontend && !px.isBackend) continue;
      if (f.scope && !f.scope(px)) continue;
      if (f.iid !== -1 && this.uuid(px) !== f.iid) continue;
      each(px, null, 'begin');
      if (px.isFrontend && (!bound || types & (1 << TYPE_FE))) each(px, frontendRow(px, this), 'row');
      if (px.isFrontend && px.option('socket-stats') && (!bound || types & (1 << TYPE_SO))) {
        for (const l of this.listeners(px)) {
          if (bound && f.sid !== -1 && l.luid !== f.sid) continue;
          const r = listenerRow(px, l, this, f.flags);
          if (r) each(px, r, 'row');
        }
      }
      if (px.isBackend && (!bound || types & (1 << TYPE_SV))) {
        for (const s of px.servers) {
          if (bound && f.sid !== -1 && s.id !== f.sid) continue;
          if (f.hideMaint && s.admin & ADMF_MAINT) continue;
          if (f.hideDown && this.isDownForGood(s)) continue;
          each(px, serverRow(px, s, this, f.flags), 'row');
        }
      }
      if (px.isBackend && (!bound || types & (1 << TYPE_BE))) each(px, backendRow(px, this, f.flags, f.hideMaint || f.hideDown ? 1 : 0), 'row');
      each(px, null, 'end');
    }
  }

  /** `up` / `;up`: servers in maintenance, or down and not being checked back */
  private isDownForGood(s: RtServer): boolean {
    if (s.admin & ADMF_MAINT) return true;
    if (s.up) return false;
    let ref = s;
    while (ref.tracks) ref = ref.tracks;
    const ck = this.host.checks()?.state(ref);
    return !ck || ck.health === 0;
  }
}

export { FLAG_SHLGNDS, TYPE_BE, TYPE_FE, TYPE_SO, TYPE_SV };

/** the soft RLIMIT_NOFILE of this process (Node has no getrlimit: /proc tells it) */
function softFdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m && m[1] !== 'unlimited') return Number(m[1]);
  } catch {
    /* not Linux */
  }
  return 1024;
}
