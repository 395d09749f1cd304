/**
 * Listeners: the sockets a `bind` line opens (every address and port of the
 * line), HAProxy's connection limits (bind maxconn, frontend maxconn, global
 * maxconn: over the limit a connection waits unread, as it would in the
 * kernel's backlog), and the handover of each connection to a stream.
 */
import { chmodSync, chownSync, unlinkSync, existsSync } from 'node:fs';
import net from 'node:net';
import type { BindConf } from '../config/model.js';
import { proxyTypeStr } from '../config/keywords/proxy/section.js';
import { BindError } from './api.js';
import type { RtProxy } from './model.js';
import { bindTls, type BindTls } from './tls/bind.js';

export interface StreamLike {
  kill(): void;
  /** soft stop: finish the current exchange, then close (HTTP keep-alive) */
  softStop?(): void;
}

export interface ListenerHost {
  /** a connection may start now (global limit) */
  globalSlot(): boolean;
  /** starts the stream for an accepted connection */
  startSession(l: Listener, sock: net.Socket): void;
  /** a stream ended somewhere: held connections may go on */
  slotFreed(): void;
}

const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: 'Address already in use',
  EACCES: 'Permission denied',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
};

interface Endpoint {
  host?: string;
  port?: number;
  path?: string;
  text: string;
  ipv6Only?: boolean;
}

export class Listener {
  readonly servers: net.Server[] = [];
  readonly streams = new Set<StreamLike>();
  /** accepted connections held until a slot frees */
  readonly held: net.Socket[] = [];
  readonly maxconn: number;
  readonly acceptProxy: boolean;
  readonly name?: string;
  /** TLS termination (`ssl`), null for a plain bind */
  readonly tls: BindTls | null;
  /** so_id: the bind's `id`, else its rank in the frontend */
  id = 0;
  private paused = false;

  constructor(
    readonly host: ListenerHost,
    readonly fe: RtProxy,
    readonly conf: BindConf,
  ) {
    const m = conf.options.get('maxconn');
    this.maxconn = m ? Number(m[0]) || 0 : 0;
    this.acceptProxy = conf.options.has('accept-proxy');
    this.name = conf.options.get('name')?.[0];
    const id = conf.options.get('id')?.[0];
    this.id = id ? Number(id) : fe.conf.binds.indexOf(conf) + 1;
    this.tls = bindTls(conf, fe);
  }

  endpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    const v6only = this.conf.options.has('v6only');
    for (const a of this.conf.addresses) {
      if (a.family === 'unix') {
        out.push({ path: a.host, text: a.host });
        continue;
      }
      let host = a.host.replace(/^\[(.*)\]$/, '$1');
      if (host === '*' || host === '') host = a.family === 'ipv6' ? '::' : '0.0.0.0';
      const first = a.port ?? 0;
      const last = a.portEnd ?? first;
      for (let p = first; p <= last; p++) {
        const shown = host.includes(':') ? `[${host}]:${p}` : `${host}:${p}`;
        out.push({ host, port: p, text: shown, ipv6Only: v6only || undefined });
      }
    }
    return out;
  }

  async open(): Promise<void> {
    // HAProxy's listen queue: `backlog`, else the frontend's maxconn (the kernel caps it at somaxconn)
    const backlog = Number(this.conf.options.get('backlog')?.[0]) || this.fe.maxconn || this.maxconn || 1024;
    for (const ep of this.endpoints()) {
      const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
      srv.on('connection', this.onConnection);
      srv.on('error', () => {}); // errors after listen are per-connection; never fatal
      if (ep.path && existsSync(ep.path)) {
        // HAProxy replaces a stale socket file
        try {
          unlinkSync(ep.path);
        } catch {
          /* reported by listen() */
        }
      }
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: NodeJS.ErrnoException) => {
          const text = ERRNO_TEXT[e.code ?? ''] ?? e.message;
          reject(
            new BindError(
              `Binding [${this.conf.file}:${this.conf.line}] for ${proxyTypeStr(this.fe.conf)} ${this.fe.name}: cannot bind socket (${text}) for [${ep.text}]`,
              e.code ?? 'EBIND',
            ),
          );
        };
        srv.once('error', onErr);
        const opts: net.ListenOptions = ep.path
          ? { path: ep.path, backlog }
          : { host: ep.host, port: ep.port, backlog, ipv6Only: ep.ipv6Only };
        srv.listen(opts, () => {
          srv.removeListener('error', onErr);
          resolve();
        });
      });
      if (ep.path) this.unixPerms(ep.path);
      this.servers.push(srv);
    }
  }

  private unixPerms(path: string): void {
    const mode = this.conf.options.get('mode')?.[0];
    if (mode) chmodSync(path, parseInt(mode, 8));
    const uid = this.conf.options.get('uid')?.[0];
    const gid = this.conf.options.get('gid')?.[0];
    if (uid !== undefined || gid !== undefined) {
      try {
        chownSync(path, uid !== undefined ? Number(uid) : -1, gid !== undefined ? Number(gid) : -1);
      } catch {
        /* not permitted when not root: HAProxy fails the same way later */
      }
    }
  }

  /** the port a `bind :0`-style endpoint got (tests) */
  ports(): number[] {
    return this.servers.map((s) => (s.address() as net.AddressInfo | null)?.port ?? 0);
  }

  private readonly onConnection = (sock: net.Socket): void => {
    sock.on('error', noop); // a peer's reset must never reach the process
    if (this.canStart()) this.host.startSession(this, sock);
    else {
      this.held.push(sock);
      sock.once('close', () => {
        const i = this.held.indexOf(sock);
        if (i >= 0) this.held.splice(i, 1);
      });
    }
  };

  canStart(): boolean {
    if (this.paused) return false;
    if (this.maxconn && this.streams.size >= this.maxconn) return false;
    if (this.fe.maxconn && this.fe.feconn >= this.fe.maxconn) return false;
    return this.host.globalSlot();
  }

  /** starts held connections while limits allow */
  drainHeld(): void {
    while (this.held.length && this.canStart()) {
      const s = this.held.shift()!;
      if (s.destroyed) continue;
      this.host.startSession(this, s);
    }
  }

  streamEnded(s: StreamLike): void {
    if (this.streams.delete(s)) {
      this.fe.feconn--;
      this.host.slotFreed();
    }
  }

  async close(): Promise<void> {
    this.paused = true;
    // the listening sockets close now; a server's close callback would wait for its live connections
    for (const s of this.servers.splice(0)) if (s.listening) s.close();
    for (const s of this.held) s.destroy();
    this.held.length = 0;
  }

  resumeAccepting(): void {
    this.paused = false;
  }
}

function noop(): void {}
