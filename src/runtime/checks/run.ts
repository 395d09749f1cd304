/**
 * One health check attempt: connect, then run the spec's rules (send,
 * expect) against the connection, and report a status as HAProxy 2.6 names
 * it (L4OK, L4CON, L7STS...), with the code and description that end up in
 * the "Server x/y is DOWN, reason: ..." lines.
 *
 * Timeouts follow HAProxy's task timer: the connection gets `inter` (or
 * min(inter, timeout connect) when `timeout check` is set); once connected,
 * each expectation re-arms the timer to `timeout check`, but the check task
 * never wakes before the deadline it was queued with, so the effective
 * deadline is the later of the two.
 */
import net from 'node:net';
import { encodeProxyV1, encodeProxyV2 } from '../proxy-protocol.js';
import type { CheckRule, CheckSpec, ConnectRule, ExpectRule } from './spec.js';

export type CheckStatus = 'L4OK' | 'L4TOUT' | 'L4CON' | 'L6OK' | 'L6TOUT' | 'L6RSP' | 'L7TOUT' | 'L7RSP' | 'L7OK' | 'L7OKC' | 'L7STS' | 'SOCKERR';

export const STATUS_DESC: Record<CheckStatus, string> = {
  SOCKERR: 'Socket error',
  L4OK: 'Layer4 check passed',
  L4TOUT: 'Layer4 timeout',
  L4CON: 'Layer4 connection problem',
  L6OK: 'Layer6 check passed',
  L6TOUT: 'Layer6 timeout',
  L6RSP: 'Layer6 invalid response',
  L7TOUT: 'Layer7 timeout',
  L7RSP: 'Layer7 invalid response',
  L7OK: 'Layer7 check passed',
  L7OKC: 'Layer7 check conditionally passed',
  L7STS: 'Layer7 wrong status',
};

/** statuses at or past HAProxy's HCHK_STATUS_L57DATA print a ", code: N" */
export function statusHasCode(s: CheckStatus): boolean {
  return s === 'L7OK' || s === 'L7OKC' || s === 'L7STS';
}

export function statusPassed(s: CheckStatus): boolean {
  return s === 'L4OK' || s === 'L6OK' || s === 'L7OK' || s === 'L7OKC';
}

export interface CheckResult {
  status: CheckStatus;
  code: number;
  desc: string;
  /** ms from the start of the check to its result */
  duration: number;
}

/** strerror() texts of the errors a check connection meets */
const STRERROR: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EADDRINUSE: 'Address already in use',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  ENOENT: 'No such file or directory',
  EINVAL: 'Invalid argument',
  EHOSTDOWN: 'Host is down',
  ENETDOWN: 'Network is down',
};

function strerror(e: NodeJS.ErrnoException | undefined): string {
  return (e?.code && STRERROR[e.code]) || '';
}

/** the largest response a check keeps (HAProxy's check buffer, tune.bufsize) */
const CHECK_BUFSIZE = 16384;

/** A minimal HTTP/1 response reader: status line, headers, then the body by its framing. */
class HttpResponse {
  status = 0;
  reason = '';
  headDone = false;
  bad = false;
  body: Buffer[] = [];
  bodyLen = 0;
  complete = false;
  private head: Buffer = Buffer.alloc(0);
  private mode: 'len' | 'chunked' | 'close' | 'none' = 'close';
  private left = 0;
  private chunkBuf: Buffer = Buffer.alloc(0);

  constructor(private readonly bodyless: boolean) {}

  feed(b: Buffer): void {
    if (this.bad || this.complete) return;
    if (!this.headDone) {
      this.head = this.head.length ? Buffer.concat([this.head, b]) : b;
      let end = this.head.indexOf('\r\n\r\n');
      let sep = 4;
      if (end < 0) {
        end = this.head.indexOf('\n\n');
        sep = 2;
      }
      if (end < 0) {
        if (this.head.length > CHECK_BUFSIZE) this.bad = true;
        return;
      }
      const lines = this.head.toString('latin1', 0, end).split(/\r?\n/);
      const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
      if (!m) {
        this.bad = true;
        return;
      }
      this.status = +m[3];
      this.reason = m[4] ?? '';
      let clen = -1;
      let chunked = false;
      for (let i = 1; i < lines.length; i++) {
        const l = lines[i];
        const c = l.indexOf(':');
        if (c <= 0 || /[\s]/.test(l.slice(0, c))) {
          this.bad = true;
          return;
        }
        const name = l.slice(0, c).toLowerCase();
        const value = l.slice(c + 1).trim();
        if (name === 'content-length') {
          if (!/^\d+$/.test(value)) {
            this.bad = true;
            return;
          }
          clen = +value;
        } else if (name === 'transfer-encoding' && /(^|,)\s*chunked\s*$/i.test(value)) chunked = true;
      }
      this.headDone = true;
      const rest = this.head.subarray(end + sep);
      this.head = Buffer.alloc(0);
      if (this.bodyless || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) this.mode = 'none';
      else if (chunked) this.mode = 'chunked';
      else if (clen >= 0) {
        this.mode = 'len';
        this.left = clen;
      } else this.mode = 'close';
      if (this.mode === 'none' || (this.mode === 'len' && this.left === 0)) {
        this.complete = true;
        return;
      }
      if (rest.length) this.feedBody(rest);
      return;
    }
    this.feedBody(b);
  }

  private keep(b: Buffer): void {
    if (this.bodyLen >= CHECK_BUFSIZE) return;
    const part = b.subarray(0, CHECK_BUFSIZE - this.bodyLen);
    this.body.push(part);
    this.bodyLen += part.length;
  }

  private feedBody(b: Buffer): void {
    if (this.mode === 'close') return this.keep(b);
    if (this.mode === 'len') {
      const part = b.subarray(0, this.left);
      this.keep(part);
      this.left -= part.length;
      if (!this.left) this.complete = true;
      return;
    }
    // chunked
    let buf = this.chunkBuf.length ? Buffer.concat([this.chunkBuf, b]) : b;
    for (;;) {
      if (this.left > 0) {
        const part = buf.subarray(0, this.left);
        this.keep(part);
        this.left -= part.length;
        buf = buf.subarray(part.length);
        if (this.left > 0) break;
        this.left = -2; // the CRLF after the data
      }
      if (this.left === -2) {
        if (buf.length < 2) break;
        buf = buf.subarray(2);
        this.left = 0;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) break;
      const size = parseInt(buf.toString('latin1', 0, nl).trim().split(';')[0], 16);
      buf = buf.subarray(nl + 1);
      if (!Number.isFinite(size)) {
        this.bad = true;
        return;
      }
      if (size === 0) {
        this.complete = true;
        return;
      }
      this.left = size;
    }
    this.chunkBuf = Buffer.from(buf);
  }

  bodyBytes(): Buffer {
    return this.body.length === 1 ? this.body[0] : Buffer.concat(this.body);
  }
}

/**
 * Runs one check. `done` is called exactly once; `abort()` stops it silently
 * (process stopping).
 */
export class CheckRun {
  private sock: net.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private deadline = 0;
  private readonly t0 = Date.now();
  private step = -1;
  private connected = false;
  private finished = false;
  /** raw bytes received since the last send (tcp-check), or the HTTP response */
  private data: Buffer[] = [];
  private dataLen = 0;
  private http: HttpResponse | null = null;
  private lastRead = false;
  private readErr: NodeJS.ErrnoException | undefined;
  /** TLS checks: the TCP connection is up (a failure now is the handshake's) */
  private tcpUp = false;
  private code = 0;
  private lastOk: { status: CheckStatus; desc: string } | null = null;
  private readonly rules: CheckRule[];
  private readonly httpMethodIsHead: boolean;

  constructor(
    private readonly spec: CheckSpec,
    private readonly done: (r: CheckResult) => void,
  ) {
    this.rules = spec.rules.length ? spec.rules : [{ kind: 'connect', implicit: true, sendProxy: false }];
    const send = this.rules.find((r) => r.kind === 'send');
    this.httpMethodIsHead = spec.proto === 'http' && !!send && send.data.subarray(0, 5).toString('latin1') === 'HEAD ';
  }

  start(): void {
    this.next();
  }

  abort(): void {
    this.finished = true;
    this.clearTimer();
    this.closeSock(true);
  }

  // --- rule engine ----------------------------------------------------------

  /**
   * HAProxy's step id: the implicit connect is step 0, the configured rules
   * keep the 1-based position they were written at.
   */
  private stepId(i = this.step): number {
    const first = this.rules[0];
    const implicit = first.kind === 'connect' && first.implicit;
    if (i === 0 && implicit) return 0;
    return implicit ? i : i + 1;
  }

  private next(): void {
    if (this.finished) return;
    for (;;) {
      this.step++;
      if (this.step >= this.rules.length) return this.allRulesDone();
      const r = this.rules[this.step];
      if (r.kind === 'connect') return this.connect(r);
      if (r.kind === 'send') {
        // input is reset by a send: a following expect looks at the new answer only
        this.data = [];
        this.dataLen = 0;
        if (this.spec.proto === 'http') this.http = new HttpResponse(this.httpMethodIsHead);
        this.sock!.write(r.make ? r.make() : r.data);
        continue;
      }
      // expect: re-arm the timer with `timeout check` as HAProxy does before reading
      if (this.spec.timeoutCheck) this.armDeadline(Math.max(this.deadline, Date.now() + this.spec.timeoutCheck));
      return this.evalExpect();
    }
  }

  private allRulesDone(): void {
    // a TLS check that got through its handshake is a Layer6 pass
    if (this.spec.proto === 'ssl-hello' || (this.spec.proto === 'tcp' && this.spec.tls)) return this.finish('L6OK', '');
    if (this.spec.proto === 'tcp') return this.finish('L4OK', '');
    if (this.spec.proto === 'tcp-check') {
      // `option tcp-check` alone: a connection is enough
      if (this.rules.length === 1 && this.rules[0].kind === 'connect' && this.rules[0].implicit) return this.finish('L4OK', '');
      this.code = 0;
      return this.finish('L7OK', '(tcp-check)');
    }
    const ok = this.lastOk ?? { status: 'L7OK' as CheckStatus, desc: '' };
    return this.finish(ok.status, ok.desc);
  }

  private connect(r: ConnectRule): void {
    this.closeSock(false);
    this.connected = false;
    this.lastRead = false;
    this.readErr = undefined;
    const spec = this.spec;
    const host = r.addr ?? spec.host;
    const port = r.port ?? spec.port;
    const opts: net.NetConnectOpts = spec.unixPath && !r.addr && !r.port
      ? { path: spec.unixPath }
      : { host, port, noDelay: true, localAddress: spec.source?.host, localPort: spec.source?.port };
    let sock: net.Socket;
    try {
      sock = net.connect(opts);
    } catch (e) {
      return this.finish('SOCKERR', strerror(e as NodeJS.ErrnoException));
    }
    this.tcpUp = false;
    if (spec.tls) {
      // check-ssl: the TCP connection comes first, then the handshake
      sock.once('connect', () => (this.tcpUp = true));
      sock = spec.tls.wrap(sock, {});
    }
    this.sock = sock;
    // connection phase: inter, or min(inter, timeout connect) when `timeout check` is set
    let t = spec.inter;
    if (spec.timeoutCheck && spec.timeoutConnect) t = Math.min(t, spec.timeoutConnect);
    this.armDeadline(Date.now() + t);
    sock.on('error', (e: NodeJS.ErrnoException) => this.onError(e));
    sock.once(spec.tls ? 'secureConnect' : 'connect', () => this.onConnect(r));
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('end', () => this.onEnd());
  }

  private onConnect(r: ConnectRule): void {
    if (this.finished) return;
    this.connected = true;
    const sock = this.sock!;
    const proxy = r.implicit ? this.spec.sendProxy : r.sendProxy ? 1 : 0;
    if (proxy) {
      const src = { address: unmap(sock.localAddress), port: sock.localPort ?? 0 };
      const dst = { address: unmap(sock.remoteAddress), port: sock.remotePort ?? 0 };
      sock.write(proxy === 2 ? encodeProxyV2({ local: true }) : encodeProxyV1(src, dst));
    }
    this.next();
  }

  private onData(d: Buffer): void {
    if (this.finished) return;
    if (this.http) this.http.feed(d);
    else if (this.dataLen < CHECK_BUFSIZE) {
      const part = d.subarray(0, CHECK_BUFSIZE - this.dataLen);
      this.data.push(part);
      this.dataLen += part.length;
    }
    if (this.rules[this.step]?.kind === 'expect') this.evalExpect();
  }

  private onEnd(): void {
    if (this.finished) return;
    this.lastRead = true;
    if (this.rules[this.step]?.kind === 'expect') this.evalExpect();
  }

  private onError(e: NodeJS.ErrnoException): void {
    if (this.finished) return;
    if (!this.connected) return this.connFailed(e);
    // an error after data: let the expectation judge what came (HAProxy reports
    // network errors only when nothing was received)
    this.readErr = e;
    this.lastRead = true;
    const r = this.rules[this.step];
    if (r?.kind === 'expect' && (this.dataLen || (this.http && (this.http.headDone || this.http.bad)))) return this.evalExpect();
    this.finish('SOCKERR', strerror(e) + this.tcpCheckWhere());
  }

  private connFailed(e: NodeJS.ErrnoException): void {
    // HAProxy adds the system error of a failed read (a reset), not a close
    if (this.tcpUp) return this.finish('L6RSP', `SSL handshake failure${e.syscall && strerror(e) ? ` (${strerror(e)})` : ''}`);
    this.finish('L4CON', strerror(e) + this.tcpCheckWhere());
  }

  /** the " at step N of tcp-check (...)" part HAProxy adds for `option tcp-check` rulesets */
  private tcpCheckWhere(): string {
    if (this.spec.proto !== 'tcp-check') return '';
    const id = this.stepId();
    if (id === 0) return ' at initial connection step of tcp-check';
    let s = ` at step ${id} of tcp-check`;
    const r = this.rules[this.step];
    if (r.kind === 'connect') s += r.port ? ` (connect port ${r.port})` : ' (connect)';
    else if (r.kind === 'send') s += ' (send)';
    else if (r.kind === 'expect') {
      if (r.type === 'string') s += ` (expect string '${r.text}')`;
      else if (r.type === 'binary') s += ` (expect binary '${r.text}')`;
      else if (r.type === 'rstring') s += ' (expect regex)';
      else if (r.type === 'rbinary') s += ' (expect binary regex)';
    }
    if (r.comment) s += ` comment: '${r.comment}'`;
    return s;
  }

  private evalExpect(): void {
    if (this.finished) return;
    const r = this.rules[this.step] as ExpectRule;
    if (this.spec.proto === 'http') return this.evalHttp(r);
    const last = this.lastRead || this.dataLen >= CHECK_BUFSIZE;
    if (r.type === 'sslhello') return this.evalSslHello(last);
    if (!this.dataLen && last) {
      return this.finish('L7RSP', `TCPCHK got an empty response at step ${this.stepId()}${r.comment ? ` comment: '${r.comment}'` : ''}`);
    }
    if (!this.dataLen) return;
    const buf = this.data.length === 1 ? this.data[0] : Buffer.concat(this.data);
    if (!last && (r.type === 'string' || r.type === 'binary') && buf.length < r.bytes!.length) return;
    let match: boolean;
    if (r.type === 'string' || r.type === 'binary') match = buf.indexOf(r.bytes!) >= 0;
    else if (r.type === 'rstring') match = r.regex!.test(buf.toString('latin1'));
    else match = r.regex!.test(buf.toString('hex').toUpperCase());
    if (!match && !last) return;
    if (match !== r.inverse) return this.next();
    const diag = match ? 'matched unwanted content' : 'did not match content';
    let msg: string;
    if (r.type === 'string') msg = `TCPCHK ${diag} '${r.text}' at step ${this.stepId()}`;
    else if (r.type === 'binary') msg = `TCPCHK ${diag} (binary) at step ${this.stepId()}`;
    else if (r.type === 'rstring') msg = `TCPCHK ${diag} (regex) at step ${this.stepId()}`;
    else msg = `TCPCHK ${diag} (binary regex) at step ${this.stepId()}`;
    if (r.comment) msg += ` comment: '${r.comment}'`;
    this.finish('L7RSP', msg);
  }

  /** ssl-hello-chk: a TLS handshake or alert record back (min-recv 5); no info on a mismatch, as HAProxy */
  private evalSslHello(last: boolean): void {
    if (!last && this.dataLen < 5) return;
    if (!this.dataLen) return this.finish('L6RSP', `TCPCHK got an empty response at step ${this.stepId()}`);
    const b0 = this.data[0][0];
    if (b0 === 0x15 || b0 === 0x16) return this.next();
    this.finish('L6RSP', '');
  }

  private evalHttp(r: ExpectRule): void {
    const h = this.http;
    if (!h) return this.finish('L7RSP', '');
    const last = this.lastRead;
    if (h.bad) return this.finish('L7RSP', '');
    if (!h.headDone) {
      if (last) return this.finish('L7RSP', '');
      return;
    }
    this.code = h.status;
    let match: boolean;
    let failStatus: CheckStatus = 'L7STS';
    let desc = h.reason;
    if (r.type === 'status') {
      match = r.ranges!.some(([a, b]) => h.status >= a && h.status <= b);
    } else if (r.type === 'rstatus') {
      match = r.regex!.test(String(h.status).padStart(3, '0'));
    } else {
      // body expectations wait for the whole body (or the end of the connection)
      const bodyDone = h.complete || last || h.bodyLen >= CHECK_BUFSIZE;
      failStatus = 'L7RSP';
      if (!h.bodyLen) {
        if (!bodyDone) return;
        return this.finish('L7RSP', 'HTTP content check could not find a response body');
      }
      const body = h.bodyBytes();
      if (r.type === 'string') {
        if (!bodyDone && body.length < r.bytes!.length) return;
        match = body.indexOf(r.bytes!) >= 0;
      } else match = r.regex!.test(body.toString('latin1'));
      if (!match && !bodyDone) return;
      desc = r.inverse ? 'HTTP check matched unwanted content' : 'HTTP content check did not match';
    }
    if (match === r.inverse) return this.finish(failStatus, desc);
    this.lastOk = { status: 'L7OK', desc: '' };
    this.next();
  }

  // --- end ----------------------------------------------------------------

  private armDeadline(at: number): void {
    this.deadline = at;
    this.clearTimer();
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()));
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (this.finished) return;
    if (!this.connected) return this.tcpUp ? this.finish('L6TOUT', '') : this.finish('L4TOUT', this.tcpCheckWhere());
    if (this.spec.proto === 'ssl-hello') return this.finish('L6TOUT', '');
    return this.finish('L7TOUT', this.tcpCheckWhere());
  };

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private closeSock(reset: boolean): void {
    const s = this.sock;
    if (!s) return;
    this.sock = null;
    s.removeAllListeners('data');
    s.removeAllListeners('connect');
    s.removeAllListeners('end');
    s.on('error', noop);
    // HAProxy closes its check connections with a reset (SO_LINGER 0), unless
    // something was written that the server must still read
    if (reset && typeof s.resetAndDestroy === 'function' && !s.pending) s.resetAndDestroy();
    else s.destroy();
  }

  private finish(status: CheckStatus, desc: string): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    const wrote = this.spec.proto !== 'tcp' || this.spec.sendProxy !== 0;
    if (wrote && this.sock && this.connected) {
      // let what was written reach the server, then close
      const s = this.sock;
      this.sock = null;
      s.removeAllListeners('data');
      s.removeAllListeners('end');
      s.on('error', noop);
      s.end(() => s.destroy());
      setTimeout(() => s.destroy(), 1000).unref();
    } else this.closeSock(true);
    this.done({ status, code: statusHasCode(status) ? this.code : 0, desc, duration: Date.now() - this.t0 });
  }
}

function unmap(a: string | undefined): string {
  return a && a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : (a ?? '');
}

function noop(): void {}
