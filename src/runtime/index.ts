/**
 * createRuntime(): the frozen configuration becomes running proxies.
 * Builds the runtime model (proxies, servers, balancing), resolves server
 * host names, opens the listeners, and starts a stream per connection.
 */
import { logDate } from '../acl/logformat.js';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Config } from '../config/model.js';
import type { LbAlgorithm, Runtime, RuntimeOptions } from './api.js';
import { fallbackLb, dequeue } from './backend.js';
import { Listener, type ListenerHost, type StreamLike } from './listener.js';
import { ProxyHeaderReceiver, type ProxyReceiveResult } from './proxy-protocol.js';
import { assignServerIds } from './lb/index.js';
import { RtProxy, RtServer, serverNames, type RuntimeModel } from './model.js';
import { startChecks, type ChecksHandle } from './checks/index.js';
import { TcpStream } from './stream.js';
import { serverTls } from './tls/server.js';
import { HttpSession } from './http/session.js';
import { logAccept, newStreamLog, setupLogging } from './log/logger.js';
import { attachConfig, connectionRules, sessionRules } from './rules/index.js';
import { enableStats, startStats, statsAccept, statsRejected, statsStreamLog, type StatsHandle } from './stats/index.js';
import { initStick, stickAccept, stickOn, stickSession } from './stick/index.js';

type LbFactory = (be: RtProxy) => LbAlgorithm;
let lbFactory: LbFactory | undefined;

async function loadLb(): Promise<LbFactory> {
  if (lbFactory) return lbFactory;
  try {
    const m = await import('./lb/index.js');
    lbFactory = (be: RtProxy) =>
      m.createLb(be.conf.balance, be.conf.hashType, be.servers, {
        mode: be.mode,
        allbackups: be.option('allbackups'),
      });
  } catch {
    lbFactory = fallbackLb;
  }
  return lbFactory;
}

export function buildModel(config: Config, opts: RuntimeOptions = {}): RuntimeModel {
  attachConfig(config);
  initStick(config);
  const proxies: RtProxy[] = [];
  const byName = new Map<string, RtProxy>();
  const backends = new Map<string, RtProxy>();
  let autoId = 1;
  for (const p of config.proxies) {
    if (p.disabled) continue;
    const rp = new RtProxy(p, autoId++);
    proxies.push(rp);
    byName.set(p.name, rp);
    if (rp.isBackend) backends.set(p.name, rp);
  }
  const globalMaxconn = config.global.maxconn ?? 0;
  for (const rp of proxies) {
    if (rp.isFrontend && !rp.maxconn) rp.maxconn = opts.defaultMaxconn ?? globalMaxconn;
    if (rp.isBackend) {
      const expanded: { sc: (typeof rp.conf.servers)[number]; name: string }[] = [];
      for (const sc of rp.conf.servers) for (const name of serverNames(sc)) expanded.push({ sc, name });
      const ids = assignServerIds(expanded.map((e) => (e.sc.template ? undefined : e.sc.id)));
      for (let k = 0; k < expanded.length; k++) {
        const { sc, name } = expanded[k];
        {
          const s = new RtServer(rp, sc, name, ids[k]);
          const a = sc.address;
          if (a) {
            if (a.family === 'unix') s.unixPath = a.host;
            else {
              s.host = a.host.replace(/^\[(.*)\]$/, '$1');
              if (a.port !== undefined && a.portOffset === undefined) s.port = a.port;
              else {
                s.usesClientPort = true;
                s.portOffset = a.portOffset ?? 0;
              }
            }
          }
          const src = sc.options.get('source')?.[0];
          if (src) {
            const m = /^(.*?)(?::(\d+))?$/.exec(src)!;
            s.source = { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: m[2] ? Number(m[2]) : undefined };
          }
          s.tls = serverTls(sc, config);
          rp.servers.push(s);
        }
      }
    }
  }
  for (const rp of proxies) {
    if (!rp.isFrontend) continue;
    const db = rp.conf.defaultBackend?.name;
    if (db) rp.defaultBackend = backends.get(db);
    for (const r of rp.conf.useBackends) {
      rp.switching.push(r.dynamic ? { dynamic: r.backend, cond: r.cond } : { backend: backends.get(r.backend), cond: r.cond });
    }
  }
  // tracked servers follow their target's state
  for (const rp of proxies) {
    for (const s of rp.servers) {
      const t = s.conf.track;
      if (!t) continue;
      const be = t.backend ? backends.get(t.backend) : rp;
      s.tracks = be?.servers.find((x) => x.name === t.server);
    }
  }
  return { config, proxies, byName, frontends: proxies.filter((p) => p.isFrontend), backends, globalMaxconn };
}

class RuntimeImpl implements Runtime, ListenerHost {
  readonly model: RuntimeModel;
  readonly listeners: Listener[] = [];
  private live = 0;
  private stopping: (() => void) | null = null;
  private checks: ChecksHandle | null = null;
  private stats: StatsHandle | null = null;

  constructor(
    config: Config,
    readonly opts: RuntimeOptions,
  ) {
    this.model = buildModel(config, opts);
    for (const lg of setupLogging(this.model)) for (const w of lg.warnings) opts.logger?.warn(w);
    enableStats(config);
  }

  async start(): Promise<void> {
    const mk = await loadLb();
    await this.resolveServers();
    for (const be of this.model.backends.values()) be.lb = mk(be);
    for (const fe of this.model.frontends) {
      for (const b of fe.conf.binds) this.listeners.push(new Listener(this, fe, b));
    }
    try {
      for (const l of this.listeners) await l.open();
    } catch (e) {
      await Promise.all(this.listeners.map((l) => l.close()));
      throw e;
    }
    this.checks = startChecks(this.model);
    // stats sockets and stats pages (src/runtime/stats)
    try {
      this.stats = await startStats({ model: this.model, listeners: this.listeners, checks: () => this.checks, currentConnections: () => this.live, stopping: () => this.stopping !== null });
    } catch (e) {
      this.checks.stop();
      await Promise.all(this.listeners.map((l) => l.close()));
      throw e;
    }
  }

  private async resolveServers(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const be of this.model.backends.values()) {
      for (const s of be.servers) {
        if (s.unixPath || !s.host || net.isIP(s.host)) continue;
        jobs.push(
          lookup(s.host).then(
            (r) => {
              s.host = r.address;
            },
            () => {
              s.up = false;
            },
          ),
        );
      }
    }
    await Promise.all(jobs);
  }

  globalSlot(): boolean {
    const m = this.model.globalMaxconn;
    return !m || this.live < m;
  }

  startSession(l: Listener, sock: net.Socket): void {
    this.live++;
    l.fe.feconn++;
    statsAccept(l);
    // tcp-request connection rules (rules engine): before anything is read
    const addrs = socketAddrs(sock);
    const cv = connectionRules(l.fe, addrs);
    if (stickOn) stickAccept(sock);
    if (cv === 'reject') {
      statsRejected(l, false);
      l.fe.feconn--;
      this.slotFreed();
      sock.resetAndDestroy();
      return;
    }
    if (l.acceptProxy || cv === 'expect-proxy') return this.readProxyHeader(l, sock);
    this.startStream(l, sock, addrs);
  }

  /** accept-proxy: the first read must hold the whole PROXY header (HAProxy 2.6); failures reset the connection */
  private readProxyHeader(l: Listener, sock: net.Socket): void {
    const rx = new ProxyHeaderReceiver();
    const real = socketAddrs(sock);
    const entry: StreamLike = { kill: () => sock.destroy() };
    l.streams.add(entry);
    const done = (r: ProxyReceiveResult) => {
      sock.removeListener('data', onData);
      sock.removeListener('end', onEnd);
      sock.removeListener('close', onClose);
      clearTimeout(timer);
      if (r.kind === 'need-more') return;
      if (r.kind === 'error') {
        this.opts.logger?.warn(`${real.src}:${real.srcPort} [${logDate(Date.now(), true)}] ${l.fe.name}/${l.id}: ${r.message}`);
        if (r.code === 'timeout' || r.code === 'empty') sock.destroySoon();
        else sock.resetAndDestroy();
        sock.once('close', () => l.streamEnded(entry));
        return;
      }
      sock.pause();
      l.streams.delete(entry);
      l.fe.feconn--;
      this.live--;
      const h = r.header;
      const addrs =
        h.command === 'proxy' && h.src && h.dst
          ? { src: h.src.address, srcPort: h.src.port, dst: h.dst.address, dstPort: h.dst.port, family: (h.family === 'tcp6' ? 6 : 4) as 4 | 6 }
          : real;
      this.live++;
      l.fe.feconn++;
      this.startStream(l, sock, addrs, r.rest.length ? r.rest : undefined);
    };
    const onData = (chunk: Buffer) => done(rx.push(chunk));
    const onEnd = () => done(rx.end());
    const onClose = () => {
      clearTimeout(timer);
      l.streamEnded(entry);
    };
    const t = l.fe.timeouts.client;
    const timer = t ? setTimeout(() => done(rx.timeout()), t) : undefined;
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onClose);
    sock.resume();
  }

  private startStream(l: Listener, sock: net.Socket, addrs: ReturnType<typeof socketAddrs>, first?: Buffer): void {
    if (l.tls && !(sock as { encrypted?: boolean }).encrypted) return l.tls.accept(l, sock, addrs, first, (ts) => this.startStream(l, ts, addrs));
    const st = l.fe.mode === 'http' ? new HttpSession(sock, l.fe, l, addrs, first) : new TcpStream(sock, l.fe, l, addrs, first);
    st.runtimeBackend = (name: string) => this.model.backends.get(name);
    st.runtimeProxy = (name: string) => this.model.byName.get(name);
    // tcp-request session rules (rules engine)
    if (!sessionRules(st)) {
      statsRejected(l, true);
      l.fe.feconn--;
      this.slotFreed();
      sock.destroy();
      return;
    }
    if (stickOn) stickSession(st);
    l.streams.add(st);
    st.slog = newStreamLog(l.fe) ?? statsStreamLog(l.fe);
    logAccept(l.fe, l, addrs, st.slog);
    st.start();
  }

  slotFreed(): void {
    this.live--;
    for (const l of this.listeners) l.drainHeld();
    if (this.stopping && this.live === 0) this.stopping();
  }

  async pause(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  async resume(): Promise<void> {
    for (const l of this.listeners) {
      l.resumeAccepting();
      if (!l.servers.length) await l.open();
    }
  }

  async softStop(): Promise<void> {
    this.checks?.stop();
    this.stats?.close();
    await this.pause();
    // HAProxy 2.6 announces each proxy as it stops; observed with traffic too, its
    // cumulated counters read 0 here, so tshaproxy prints the same
    for (const px of this.model.proxies) this.opts.logger?.warn(`Proxy ${px.name} stopped (cumulated conns: FE: 0, BE: 0).`);
    this.opts.logger?.warn('Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0).');
    // idle keep-alive connections close now, busy ones after their current response
    for (const l of this.listeners) for (const st of [...l.streams]) st.softStop?.();
    if (this.live === 0) return;
    await new Promise<void>((r) => (this.stopping = r));
  }

  hardStop(): void {
    this.checks?.stop();
    this.stats?.close();
    for (const l of this.listeners) {
      void l.close();
      for (const s of [...l.streams]) s.kill();
    }
  }

  currentConnections(): number {
    return this.live;
  }
}

export function socketAddrs(sock: net.Socket): { src: string; srcPort: number; dst: string; dstPort: number; family: 4 | 6 } {
  // IPv4-mapped addresses stay as they are: HAProxy shows and forwards them that way too
  const src = sock.remoteAddress ?? '';
  const dst = sock.localAddress ?? '';
  return { src, srcPort: sock.remotePort ?? 0, dst, dstPort: sock.localPort ?? 0, family: net.isIPv6(src) ? 6 : 4 };
}

export function createRuntime(config: Config, opts: RuntimeOptions = {}): Runtime {
  return new RuntimeImpl(config, opts);
}

export { dequeue };

