/**
 * TLS termination on a `bind ... ssl` line. Built once per listener: one
 * SecureContext per certificate (crt, crt directories, crt-list lines), an
 * index of their SNI names, the ALPN list. Per connection, the first flight
 * is read in clear (hello.ts) so that, as in HAProxy's ClientHello callback,
 * the server name picks the certificate (default: the first one), strict-sni
 * refuses with an unrecognized_name alert, and ALPN is answered from the
 * bind's list in its order, or not at all when nothing matches (OpenSSL's
 * NOACK, where Node would abort). Then OpenSSL runs the handshake over the
 * raw socket; failures and `timeout client` end the connection with
 * HAProxy's embryonic-session log line.
 */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { logDate } from '../../acl/logformat.js';
import type { BindConf, Config } from '../../config/model.js';
import type { RtProxy } from '../model.js';
import { configFor } from '../rules/state.js';
import { loggerOf } from '../log/logger.js';
import { LOG_ERR, LOG_INFO } from '../log/syslog.js';
import { HELLO_MORE, HELLO_OTHER, parseHello, type HelloInfo } from './hello.js';
import { loadCrt, loadCrtList, type CertEntry } from './pem.js';
import { globalArgs, nodeCiphers, tlsParams, withBase, type TlsParams } from './settings.js';
import { newTicketKeys, renewTickets } from './tickets.js';
import { markAccepted, resettable } from './view.js';

/** one certificate ready to serve */
interface Served {
  entry: CertEntry;
  ctx: tls.SecureContext;
  params: TlsParams;
  alpn: string[] | undefined;
  verify: 'none' | 'optional' | 'required';
}

/** the unrecognized_name fatal alert HAProxy (OpenSSL) sends for strict-sni, as captured */
const ALERT_UNRECOGNIZED_NAME = Buffer.from('15030300020270', 'hex');

/** HAProxy's connection error texts for a failed embryonic session */
const ERR_EMPTY = 'Connection closed during SSL handshake';
const ERR_ABORT = 'Connection error during SSL handshake';
const ERR_TIMEOUT = 'Timeout during SSL handshake';
const ERR_HANDSHAKE = 'SSL handshake failure';
const ERR_CRT_FAIL = 'SSL client certificate not trusted';
const ERR_CA_FAIL = 'SSL client CA chain cannot be verified';

/** verify errors HAProxy meets above depth 0 (the CA chain) */
const CA_ERRORS = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED']);

/** What the accept path needs of the listener. */
export interface TlsListener {
  readonly fe: RtProxy;
  readonly conf: BindConf;
  readonly id: number;
  readonly name?: string;
  readonly streams: Set<{ kill(): void }>;
  streamEnded(s: { kill(): void }): void;
}

interface Addrs {
  src: string;
  srcPort: number;
}

function readPem(path: string | undefined): string | undefined {
  return path === undefined ? undefined : readFileSync(path, 'latin1');
}

/** The bind's TLS setup, or null when the bind has no `ssl`. Throws on unusable files. */
export function bindTls(conf: BindConf, fe: RtProxy): BindTls | null {
  return conf.options.has('ssl') ? new BindTls(conf, fe, configFor(fe.conf)) : null;
}

export class BindTls {
  readonly served: Served[] = [];
  private readonly exact = new Map<string, Served>();
  private readonly wild = new Map<string, Served>();
  readonly strictSni: boolean;

  constructor(
    readonly conf: BindConf,
    readonly fe: RtProxy,
    config: Config | undefined,
  ) {
    const o = conf.options;
    this.strictSni = o.has('strict-sni');
    const crtBase = globalArgs(config, 'crt-base')?.[0];
    const delExt = !!globalArgs(config, 'ssl-load-extra-del-ext');
    const entries: CertEntry[] = [];
    // crt and crt-list in the order written: the first certificate is the default one
    for (const c of conf.certs ?? []) {
      if (c.kind === 'crt') entries.push(...loadCrt(withBase(c.path, crtBase), delExt));
      else entries.push(...loadCrtList(c.path, crtBase, delExt));
    }
    // one ticket key set per bind line, shared by its certificates (as OpenSSL's keys of HAProxy's bind context)
    const keys = newTicketKeys();
    for (const e of entries) {
      const params = tlsParams('bind', o, config, e.opts);
      const verify = (params.verify ?? 'none') as Served['verify'];
      const ctx = tls.createSecureContext({
        cert: e.cert,
        key: e.key,
        ca: verify !== 'none' ? readPem(params.caFile) : undefined,
        crl: readPem(params.crlFile),
        ciphers: nodeCiphers(params),
        minVersion: params.minVersion,
        maxVersion: params.maxVersion,
        ecdhCurve: params.curves,
        honorCipherOrder: params.honorCipherOrder,
        secureOptions: params.secureOptions,
        dhparam: e.dh ?? 'auto',
      });
      if (!((params.secureOptions ?? 0) & constants.SSL_OP_NO_TICKET)) renewTickets(ctx, keys);
      // HTTP/2 is not spoken by the HTTP engine: an HTTP frontend never agrees to h2
      const alpn = params.alpn && fe.mode === 'http' ? params.alpn.filter((p) => p !== 'h2') : params.alpn;
      const s: Served = { entry: e, ctx, params, alpn, verify };
      this.served.push(s);
      for (const n of e.names) {
        const m = n.startsWith('*.') ? this.wild : this.exact;
        const key = n.startsWith('*.') ? n.slice(1) : n;
        if (!m.has(key)) m.set(key, s);
      }
    }
  }

  /** The certificate for a server name (undefined: none matches). */
  pick(servername: string): Served | undefined {
    const name = servername.toLowerCase();
    const s = this.exact.get(name);
    if (s && !s.entry.excluded.includes(name)) return s;
    const dot = name.indexOf('.');
    if (dot <= 0) return undefined;
    const w = this.wild.get(name.slice(dot));
    return w && !w.entry.excluded.includes(name) ? w : undefined;
  }

  /**
   * Runs the handshake on an accepted connection; `done` gets the TLS
   * socket once established. The connection counts as one of the
   * listener's streams meanwhile.
   */
  accept(l: TlsListener, raw: net.Socket, addrs: Addrs, first: Buffer | undefined, done: (ts: tls.TLSSocket) => void): void {
    new Handshake(this, l, raw, addrs, first, done).start();
  }
}

class Handshake {
  private buf: Buffer | null;
  private timer: NodeJS.Timeout | null = null;
  private ts: tls.TLSSocket | null = null;
  private served: Served | null = null;
  private over = false;
  private readonly t0 = Date.now();
  private readonly entry = { kill: () => this.kill() };

  constructor(
    private readonly b: BindTls,
    private readonly l: TlsListener,
    private readonly raw: net.Socket,
    private readonly addrs: Addrs,
    first: Buffer | undefined,
    private readonly done: (ts: tls.TLSSocket) => void,
  ) {
    this.buf = first && first.length ? first : null;
  }

  start(): void {
    const raw = this.raw;
    this.l.streams.add(this.entry);
    const t = this.l.fe.timeouts.client;
    if (t) this.timer = setTimeout(this.onTimeout, t);
    raw.on('close', this.onClose);
    if (this.buf && this.tryHello()) return;
    raw.on('data', this.onData);
    raw.on('end', this.onEnd);
    raw.on('error', this.onRawError);
    raw.resume();
  }

  private readonly onData = (d: Buffer): void => {
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.tryHello();
  };

  /** true once the first flight went on to OpenSSL (or the connection was refused) */
  private tryHello(): boolean {
    const r = parseHello(this.buf!);
    if (r === HELLO_MORE) return false;
    const raw = this.raw;
    raw.pause();
    raw.removeListener('data', this.onData);
    raw.removeListener('end', this.onEnd);
    raw.removeListener('error', this.onRawError);
    if (r === HELLO_OTHER) this.handshake({});
    else this.handshake(r);
    return true;
  }

  private handshake(h: HelloInfo): void {
    const b = this.b;
    let s = h.sni !== undefined ? b.pick(h.sni) : undefined;
    if (!s && b.strictSni) {
      this.fail(ERR_HANDSHAKE);
      this.raw.write(ALERT_UNRECOGNIZED_NAME);
      this.raw.destroySoon();
      return;
    }
    s ??= b.served[0];
    let alpn: string[] | undefined;
    if (s.alpn && h.alpn) {
      // the bind's order wins (SSL_select_next_proto with HAProxy's list first)
      const chosen = s.alpn.find((p) => h.alpn!.includes(p));
      if (chosen !== undefined) alpn = [chosen];
    }
    // OpenSSL reads the first flight from the socket's buffer
    this.raw.unshift(this.buf!);
    this.buf = null;
    const ts = new tls.TLSSocket(this.raw, {
      isServer: true,
      secureContext: s.ctx,
      ALPNProtocols: alpn,
      requestCert: s.verify !== 'none',
      rejectUnauthorized: s.verify === 'required',
    });
    this.ts = ts;
    this.served = s;
    markAccepted(ts, h.sni, s.entry.leaf);
    resettable(ts, this.raw);
    ts.on('error', noop); // as on raw sockets: a peer's error must never reach the process
    ts.on('secure', this.onSecure);
    ts.on('error', this.onTlsError);
    ts.on('end', this.onTlsEnd);
  }

  private readonly onSecure = (): void => {
    const ts = this.ts!;
    // the TLSWrap handle (`ssl`) holds OpenSSL's verify result
    const verr = (ts as unknown as { ssl?: { verifyError?: () => (Error & { code?: string }) | null } }).ssl?.verifyError?.();
    // Node verifies after the handshake: a certificate that fails is refused now, with `verify
    // optional` too (no certificate at all is then fine; `required` had OpenSSL refuse that)
    if (verr && this.served!.verify !== 'none' && ts.getPeerX509Certificate()) {
      this.fail(CA_ERRORS.has(verr.code ?? '') ? ERR_CA_FAIL : ERR_CRT_FAIL);
      ts.destroy();
      return;
    }
    if (this.over) return;
    this.over = true;
    this.clear();
    ts.removeListener('error', this.onTlsError);
    ts.removeListener('end', this.onTlsEnd);
    this.raw.removeListener('close', this.onClose);
    this.l.streams.delete(this.entry);
    this.done(ts);
  };

  private readonly onTlsError = (): void => {
    this.fail(ERR_HANDSHAKE);
    this.ts!.destroy();
  };

  /** the client closed once OpenSSL had its hello */
  private readonly onTlsEnd = (): void => {
    this.fail(ERR_HANDSHAKE);
    this.ts!.destroy();
  };

  /** end of stream before a whole ClientHello */
  private readonly onEnd = (): void => {
    this.fail(ERR_EMPTY);
    this.raw.destroy();
  };

  private readonly onRawError = (): void => {
    // a reset before the hello: HAProxy 2.6 reports a handshake failure (observed)
    this.fail(ERR_HANDSHAKE);
    this.raw.destroy();
  };

  private readonly onTimeout = (): void => {
    this.timer = null;
    this.fail(ERR_TIMEOUT);
    if (this.ts) this.ts.destroy();
    else this.raw.destroy();
  };

  private readonly onClose = (): void => {
    if (!this.over) this.fail(ERR_ABORT);
    this.l.streamEnded(this.entry);
  };

  private kill(): void {
    this.over = true;
    this.clear();
    if (this.ts) this.ts.destroy();
    else this.raw.destroy();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** the handshake failed: HAProxy's embryonic session log, once */
  private fail(why: string): void {
    if (this.over) return;
    this.over = true;
    this.clear();
    const fe = this.l.fe;
    const lg = loggerOf(fe);
    if (!lg || !lg.active || !lg.format) return;
    if (lg.dontlognull && (why === ERR_EMPTY || why === ERR_ABORT)) return;
    const who = this.addrs.src === '' ? `unix:${this.l.id}` : `${this.addrs.src}:${this.addrs.srcPort}`;
    const label = this.l.name ?? String(this.l.id);
    lg.send(lg.separateErrors ? LOG_ERR : LOG_INFO, `${who} [${logDate(this.t0, true)}] ${fe.name}/${label}: ${why}`);
  }
}

function noop(): void {}
