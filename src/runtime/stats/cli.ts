/**
 * The runtime API: `stats socket` listeners (unix sockets, ipv4@/ipv6@
 * addresses) speaking HAProxy 2.6's CLI protocol.
 *
 * A connection reads one line at a time; `;` separates commands on a line
 * (`\` escapes). Without `prompt` the connection closes once a command's
 * output is written and nothing else is waiting in the input; in prompt
 * mode every output ends with "\n> " and the connection stays until `quit`
 * or `stats timeout`. Every output ends with an empty line. Commands
 * tshaproxy does not implement answer as HAProxy answers an unknown one
 * (keywords.ts builds that message from HAProxy's command table).
 */
import net from 'node:net';
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import type { BindConf, Directive } from '../../config/model.js';
import { statsSocketBinds } from '../../config/keywords/bind/stats.js';
import { BindError } from '../api.js';
import type { RtProxy, RtServer } from '../model.js';
import { ADMF_IMAINT, ADMF_MAINT } from '../checks/index.js';
import type { CheckSpec } from '../checks/spec.js';
import { changeWeight, pauseFrontend, resumeFrontend, setDrain, setMaint, setReady } from './admin.js';
import type { StatsContext } from './context.js';
import { GLOBAL, beCounters, feCounters, liCounters, srvCounters, nowSec } from './counters.js';
import { CSV_HEADER, FLAG_SHLGNDS, csvLine, typedLines } from './fields.js';
import { infoFields, renderInfo, type InfoEnv } from './info.js';
import { LVL_ADMIN, LVL_OPER, LVL_USER, findKeyword, usageMessage } from './keywords.js';
import { VERSION_LINE } from './version.js';
import { jsonInfo, jsonStat } from './json.js';
import { stickCli } from '../stick/cli.js';
import { showErrors as showErrorSnapshots } from '../http/snapshots.js';
import { limitsOf } from '../http/settings.js';
import { closePools } from '../http/pool.js';

const LOG_ERR = 3;
const LOG_WARNING = 4;
const LOG_INFO = 6;
const SEVERITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

type SeverityOutput = 'none' | 'number' | 'string';

/** what a command answers: a dump (printed as is) or a message (severity-output prefixes it) */
type Out = { text: string; sev?: number } | null;

interface CliBind {
  conf: BindConf;
  level: number;
  severity: SeverityOutput;
}

function levelOf(word: string | undefined): number {
  if (word === 'user') return LVL_USER;
  if (word === 'admin') return LVL_ADMIN;
  return LVL_OPER;
}

const LEVEL_NAMES = ['', 'user', 'operator', 'admin'];

/** splits a command line into words: blanks separate, `\` escapes (cli_parse_request) */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n && args.length < 64) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let w = '';
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '\\') {
        if (i + 1 < n) {
          w += line[i + 1];
          i += 2;
          continue;
        }
        i++;
        break;
      }
      w += line[i++];
    }
    args.push(w);
  }
  return args;
}

export class CliServer {
  private readonly servers: net.Server[] = [];
  private readonly sessions = new Set<CliSession>();
  private readonly binds: CliBind[] = [];
  /** `stats timeout` (ms) and `stats maxconn` */
  readonly timeout: number;
  readonly maxconn: number;
  private readonly held: net.Socket[] = [];
  private closed = false;

  constructor(readonly ctx: StatsContext) {
    const g = ctx.config.global;
    for (const d of g.statsSockets) {
      const conf = statsSocketBinds.get(d as Directive);
      if (!conf) continue;
      const sev = conf.options.get('severity-output')?.[0];
      this.binds.push({
        conf,
        level: levelOf(conf.options.get('level')?.[0]),
        severity: sev === 'number' || sev === 'string' ? sev : 'none',
      });
    }
    const dir = (k: string) => g.directives.filter((x) => x.keyword === k).pop();
    this.timeout = parseMs(dir('stats timeout')?.args[0]) || 10000;
    this.maxconn = Number(dir('stats maxconn')?.args[0]) || 10;
  }

  get count(): number {
    return this.binds.length;
  }

  async open(): Promise<void> {
    for (const b of this.binds) {
      for (const a of b.conf.addresses) {
        const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
        srv.on('connection', (sock) => this.accept(sock, b));
        srv.on('error', () => {});
        const unix = a.family === 'unix' ? a.host : undefined;
        if (unix && existsSync(unix)) {
          try {
            unlinkSync(unix);
          } catch {
            /* reported by listen() */
          }
        }
        const host = (a.host || '').replace(/^\[(.*)\]$/, '$1') || (a.family === 'ipv6' ? '::' : '0.0.0.0');
        await new Promise<void>((resolve, reject) => {
          srv.once('error', (e: NodeJS.ErrnoException) => {
            const text = e.code === 'EADDRINUSE' ? 'Address already in use' : e.code === 'EACCES' ? 'Permission denied' : e.message;
            reject(new BindError(`Binding [${b.conf.file}:${b.conf.line}] for frontend GLOBAL: cannot bind socket (${text}) for [${unix ?? `${host}:${a.port}`}]`, e.code ?? 'EBIND'));
          });
          if (unix) srv.listen({ path: unix, backlog: 10 }, resolve);
          else srv.listen({ host, port: a.port, backlog: 10 }, resolve);
        });
        if (unix) this.unixPerms(unix, b.conf);
        this.servers.push(srv);
      }
    }
  }

  private unixPerms(path: string, conf: BindConf): void {
    const mode = conf.options.get('mode')?.[0];
    if (mode) chmodSync(path, parseInt(mode, 8));
    const uid = conf.options.get('uid')?.[0];
    const gid = conf.options.get('gid')?.[0];
    if (uid !== undefined || gid !== undefined) {
      try {
        chownSync(path, uid !== undefined ? Number(uid) : -1, gid !== undefined ? Number(gid) : -1);
      } catch {
        /* not permitted when not root */
      }
    }
  }

  private accept(sock: net.Socket, b: CliBind): void {
    sock.on('error', () => {});
    if (this.sessions.size >= this.maxconn) {
      // over `stats maxconn`: the connection waits, unread, as in the kernel's queue
      this.held.push(sock);
      sock.once('close', () => {
        const i = this.held.indexOf(sock);
        if (i >= 0) this.held.splice(i, 1);
      });
      return;
    }
    GLOBAL.cumConns++;
    GLOBAL.cumReq++;
    const s = new CliSession(this, sock, b);
    this.sessions.add(s);
    sock.once('close', () => {
      this.sessions.delete(s);
      const next = this.held.shift();
      if (next && !next.destroyed && !this.closed) this.accept(next, b);
    });
    sock.resume();
  }

  /** the CLI sessions, for `show sess` */
  get live(): Iterable<CliSession> {
    return this.sessions;
  }

  close(): void {
    this.closed = true;
    for (const s of this.servers.splice(0)) s.close();
    for (const s of this.held.splice(0)) s.destroy();
    for (const s of [...this.sessions]) s.sock.destroy();
    for (const b of this.binds) {
      for (const a of b.conf.addresses) {
        if (a.family !== 'unix') continue;
        try {
          unlinkSync(a.host);
        } catch {
          /* already gone */
        }
      }
    }
  }
}

function parseMs(v: string | undefined): number {
  if (!v) return 0;
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(v);
  if (!m) return 0;
  const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
  return Math.floor(+m[1] * mult[m[2] ?? 'ms']);
}

let sessionIds = 0;

export class CliSession {
  private buf = '';
  private prompt = false;
  private level: number;
  private severity: SeverityOutput;
  private ended = false;
  private closing = false;
  /** payload gathering after a line ending with "<<" */
  private payload: { line: string; lines: string[] } | null = null;
  private expert = false;
  readonly id = ++sessionIds;
  readonly started = Date.now();

  constructor(
    readonly server: CliServer,
    readonly sock: net.Socket,
    readonly bind: CliBind,
  ) {
    this.level = bind.level;
    this.severity = bind.severity;
    sock.setTimeout(server.timeout, () => this.close());
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.process();
    });
    sock.on('end', () => {
      this.ended = true;
      this.process();
      if (!this.closing) this.close();
    });
  }

  private get ctx(): StatsContext {
    return this.server.ctx;
  }

  private close(): void {
    if (this.closing) return;
    this.closing = true;
    this.sock.end();
  }

  /** HAProxy's co_getdelim(): the next line, cut at an unescaped LF or ';' */
  private nextLine(): string | null {
    const b = this.buf;
    for (let i = 0; i < b.length; i++) {
      const c = b[i];
      if (c === '\\' && !this.payload) {
        i++;
        continue;
      }
      if (c === '\n' || (c === ';' && !this.payload)) {
        this.buf = b.slice(i + 1);
        let line = b.slice(0, i);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        return line;
      }
    }
    return null;
  }

  private process(): void {
    while (!this.closing) {
      const line = this.nextLine();
      if (line === null) {
        if (this.ended) this.close();
        return;
      }
      let out: Out | 'quit';
      if (this.payload) {
        if (line !== '') {
          this.payload.lines.push(line);
          if (this.prompt) this.sock.write('+ ');
          continue;
        }
        const p = this.payload;
        this.payload = null;
        out = this.execute(splitArgs(p.line), p.lines.join('\n'));
      } else if (line.endsWith('<<')) {
        this.payload = { line: line.slice(0, -2), lines: [] };
        if (this.prompt) this.sock.write('+ ');
        continue;
      } else out = this.execute(splitArgs(line));
      if (out === 'quit') {
        this.close();
        return;
      }
      let text = '';
      if (out) {
        if (out.sev !== undefined && this.severity !== 'none') {
          text = `[${this.severity === 'number' ? out.sev : SEVERITY_NAMES[out.sev]}]: ${out.text}`;
        } else text = out.text;
      }
      text += this.prompt ? '\n> ' : '\n';
      GLOBAL.bytesOut += text.length;
      this.sock.write(text, 'latin1');
      // without a prompt the connection ends once nothing else is waiting
      if (!this.prompt && !this.buf.length) {
        this.close();
        return;
      }
    }
  }

  private msg(text: string): Out {
    return { text, sev: LOG_INFO };
  }

  private err(text: string): Out {
    return { text, sev: LOG_ERR };
  }

  private needs(level: number): Out | undefined {
    return this.level < level ? this.err('Permission denied\n') : undefined;
  }

  /** runs one command; null: nothing to print */
  private execute(args: string[], payload?: string): Out | 'quit' {
    void payload;
    const kw = findKeyword(args);
    if (!kw) return this.msg(usageMessage(args));
    const name = kw.words.join(' ');
    const run = COMMANDS[name];
    if (!run) return this.msg(usageMessage(args));
    return run(this, args);
  }

  // --- commands -------------------------------------------------------------

  /** cli_find_server(): "be/srv" */
  findServer(arg: string | undefined): { s: RtServer } | { error: Out } {
    if (!arg) return { error: this.err("Require 'backend/server'.\n") };
    const slash = arg.indexOf('/');
    if (slash < 0) return { error: this.err("Require 'backend/server'.\n") };
    const be = this.ctx.findBackend(arg.slice(0, slash));
    if (!be) return { error: this.err('No such backend.\n') };
    const s = this.ctx.findServer(be, arg.slice(slash + 1));
    if (!s) return { error: this.err('No such server.\n') };
    return { s };
  }

  help(args: string[]): Out {
    return this.msg(usageMessage(args));
  }

  togglePrompt(): Out {
    this.prompt = !this.prompt;
    return null;
  }

  showCliLevel(): Out {
    return this.msg(`${LEVEL_NAMES[this.level]}\n`);
  }

  lowerLevel(to: number): Out {
    if (to > this.level) return this.err('Permission denied\n');
    this.level = to;
    return null;
  }

  setSeverity(args: string[]): Out {
    const v = args[2];
    if (v === 'none' || v === 'number' || v === 'string') {
      this.severity = v;
      return null;
    }
    return this.err("one of 'none', 'number', 'string' is a required argument\n");
  }

  setTimeout(args: string[]): Out {
    if (args[2] !== 'cli') return this.err("'set timeout' only supports 'cli'.\n");
    if (!args[3]) return this.err('Expects an integer value.\n');
    const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(args[3]);
    if (!m) return this.err('Invalid timeout value.\n');
    const mult: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };
    const ms = Math.floor(+m[1] * mult[m[2] ?? 's']);
    if (ms <= 0 || ms > 2147483647) return this.err('Invalid timeout value.\n');
    this.sock.setTimeout(ms);
    return null;
  }

  expertMode(args: string[]): Out {
    if (!args[1]) return this.msg(`expert-mode is ${this.expert ? 'ON' : 'OFF'}\n`);
    if (args[1] === 'on') this.expert = true;
    else if (args[1] === 'off') this.expert = false;
    return null;
  }

  infoEnv(): InfoEnv {
    const m = this.ctx.model;
    const g = m.config.global;
    const node = g.directives.filter((d) => d.keyword === 'node').pop()?.args[0];
    const desc = g.directives.filter((d) => d.keyword === 'description').pop()?.args.join(' ');
    const listeners = this.ctx.host.listeners.reduce((n, l) => n + Math.max(1, l.servers.length), 0) + this.server.count;
    return {
      nbthread: this.ctx.nbthread,
      maxconn: this.ctx.maxconn,
      maxsock: this.ctx.maxsock,
      ulimitN: this.ctx.maxsock,
      currConns: this.ctx.host.currentConnections(),
      jobs: this.ctx.host.currentConnections() + [...this.server.live].length + listeners,
      listeners,
      stopping: this.ctx.host.stopping(),
      node,
      description: desc,
      tasks: this.ctx.host.currentConnections() + listeners + 8,
    };
  }

  showInfo(args: string[]): Out {
    let typed = false;
    let json = false;
    let desc = false;
    for (const a of args.slice(2)) {
      if (a === 'typed') (typed = true), (json = false);
      else if (a === 'json') (json = true), (typed = false);
      else if (a === 'desc') desc = true;
    }
    const f = infoFields(this.infoEnv());
    if (json) return { text: jsonInfo(f) + '\n' };
    return { text: renderInfo(f, typed, desc) };
  }

  showStat(args: string[]): Out {
    let a = 2;
    if (args[a] === 'domain') {
      a++;
      if (args[a] === 'proxy') a++;
      else if (args[a] === 'dns') return { text: '' };
      else return this.err('Invalid statistics domain.\n');
    }
    let iid = -1;
    let types = -1;
    let sid = -1;
    if (args[a] && args[a + 1] && args[a + 2]) {
      const px = this.ctx.findProxy(args[a]);
      iid = px ? this.ctx.uuid(px) : atoi(args[a]);
      if (!iid) return this.err('No such proxy.\n');
      types = atoi(args[a + 1]);
      sid = atoi(args[a + 2]);
      a += 3;
    }
    let typed = false;
    let json = false;
    let desc = false;
    let hideMaint = false;
    let hideDown = false;
    for (const w of args.slice(a)) {
      if (w === 'typed') (typed = true), (json = false);
      else if (w === 'json') (json = true), (typed = false);
      else if (w === 'desc') desc = true;
      else if (w === 'no-maint') hideMaint = true;
      else if (w === 'up') hideDown = true;
    }
    const flags = this.bind.level >= LVL_OPER ? FLAG_SHLGNDS : 0;
    const filter = { iid, types, sid, hideMaint, hideDown, flags };
    if (json) return { text: jsonStat(this.ctx, filter) + '\n' };
    let out = typed ? '' : CSV_HEADER;
    this.ctx.rows(filter, (_px, r) => {
      if (r) out += typed ? typedLines(r, desc) : csvLine(r);
    });
    return { text: out };
  }

  showServersState(args: string[]): Out {
    let list: RtProxy[];
    if (args[3]) {
      const be = this.ctx.findBackend(args[3]);
      if (!be) return this.err("Can't find backend.\n");
      list = [be];
    } else list = this.ctx.model.proxies.filter((p) => p.isBackend);
    let out =
      '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n';
    for (const be of list) for (const s of be.servers) out += this.serverStateLine(be, s);
    return { text: out };
  }

  private serverStateLine(be: RtProxy, s: RtServer): string {
    const ck = this.ctx.checksHandle?.state(s);
    const c = srvCounters(s);
    const maint = (s.admin & ADMF_MAINT) !== 0;
    const op = s.up ? 2 : 0;
    let admin = s.admin & ~ADMF_IMAINT;
    if (!maint && !s.up && s.tracks && (s.tracks.admin & ADMF_MAINT)) admin |= ADMF_IMAINT;
    const last = ck?.last;
    const status = ck ? (last ? HCHK[last.status] ?? 0 : 1) : 1;
    const result = ck && last ? (['L4OK', 'L7OK', 'L7OKC'].includes(last.status) ? (last.status === 'L7OKC' ? 4 : 3) : 2) : 0;
    const rise = ck?.spec.rise ?? Number(s.conf.options.get('rise')?.[0] ?? 2);
    const health = maint ? 0 : ck ? ck.health : c.noCheckHealth >= 0 ? c.noCheckHealth : s.disabled ? 0 : rise;
    let cstate = ck ? 6 : 0;
    if (maint) cstate |= 8;
    if (ck?.running) cstate |= 1;
    const addr = s.unixPath ? s.unixPath : s.host || '-';
    const port = s.usesClientPort ? s.portOffset : s.port;
    const checkPort = ck?.spec.ownPort ?? Number(s.conf.options.get('port')?.[0] ?? 0);
    const checkAddr = ck?.spec.ownAddr ?? '-';
    const bkForced = be.conf.id !== undefined ? 1 : 0;
    const srvForced = s.conf.id !== undefined ? 1 : 0;
    return `${this.ctx.uuid(be)} ${be.name} ${s.id} ${s.name} ${addr} ${op} ${admin} ${s.uweight} ${s.weight} ${nowSec() - c.lastChange} ${status} ${result} ${health} ${cstate} 0 ${bkForced} ${srvForced} - ${port} - 0 ${checkPort} ${checkAddr} - 0\n`;
  }

  showBackend(): Out {
    let out = '# name\n';
    for (const p of this.ctx.model.proxies) if (p.isBackend) out += `${p.name}\n`;
    return { text: out };
  }

  showVersion(): Out {
    return this.msg(`${VERSION_LINE.version}\n`);
  }

  showErrors(args: string[]): Out {
    const a = args[2];
    // cli_parse_show_errors: a number is an id (-1: all), else a proxy name
    let iid = -1;
    if (a) {
      if (/^-?\d+$/.test(a)) iid = Number(a);
      else {
        const px = this.ctx.findProxy(a);
        if (!px) return this.err('No such proxy.\n');
        iid = this.ctx.uuid(px);
      }
    }
    const which = args[3] === 'request' ? 'request' : args[3] === 'response' ? 'response' : 'both';
    const proxies = this.ctx.model.proxies;
    const bufsize = proxies.length ? limitsOf(proxies[0]).bufsize : 16384;
    return { text: showErrorSnapshots(proxies, iid, which, bufsize, (px) => this.ctx.uuid(px)) };
  }

  showSess(args: string[]): Out {
    const lines: string[] = [];
    const now = Date.now();
    const want = args[2];
    for (const l of this.ctx.host.listeners) {
      for (const st of l.streams) {
        const s = st as SessionView;
        const id = streamId(s);
        if (want && want !== 'all' && want !== id) continue;
        const a = s.addrs;
        const proto = a && a.family === 6 ? 'tcpv6' : 'tcpv4';
        const src = a ? (a.family === 6 ? `[${a.src}]:${a.srcPort}` : `${a.src}:${a.srcPort}`) : '?';
        const start = s.slog?.acceptDate ?? s.acceptedAt ?? now;
        const age = humanTime(Math.floor((now - start) / 1000));
        lines.push(
          `${id}: proto=${proto} src=${src} fe=${l.fe.name} be=${s.be ? s.be.name : '<NONE>'} srv=${s.server ? s.server.name : '<none>'} ts=00 epoch=0 age=${age} calls=1 rate=0 cpu=0 lat=0 rq[f=848000h,i=0,an=00h,rx=,wx=,ax=] rp[f=80048000h,i=0,an=00h,rx=,wx=,ax=] scf=[8,200h,fd=-1] scb=[8,1h,fd=-1] exp=${humanTime(Math.floor(l.fe.timeouts.client / 1000))} rc=0 c_exp=\n`,
        );
      }
    }
    for (const c of this.server.live) {
      const id = streamId(c);
      if (want && want !== 'all' && want !== id) continue;
      const age = humanTime(Math.floor((now - c.started) / 1000));
      lines.push(
        `${id}: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=${age} calls=2 rate=1 cpu=0 lat=0 rq[f=c0c020h,i=0,an=00h,rx=,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=-1] scb=[8,1h,fd=-1] exp=${humanTime(Math.floor(this.server.timeout / 1000))} rc=0 c_exp=\n`,
      );
    }
    if (want && want !== 'all' && !lines.length) return this.err('Session not found.\n');
    return { text: lines.join('') };
  }

  setWeight(args: string[]): Out {
    const f = this.findServer(args[2]);
    if ('error' in f) return f.error;
    const e = changeWeight(this.ctx, f.s, args[3] ?? '');
    return e ? this.err(e) : null;
  }

  getWeight(args: string[]): Out {
    const f = this.findServer(args[2]);
    if ('error' in f) return f.error;
    return { text: `${f.s.uweight} (initial ${f.s.weight})\n` };
  }

  setServer(args: string[]): Out {
    const f = this.findServer(args[2]);
    if ('error' in f) return f.error;
    const s = f.s;
    const ck = this.ctx.checksHandle?.state(s);
    switch (args[3]) {
      case 'state':
        if (args[4] === 'ready') setReady(this.ctx, s);
        else if (args[4] === 'drain') setDrain(this.ctx, s);
        else if (args[4] === 'maint') setMaint(this.ctx, s);
        else return this.err("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
        return null;
      case 'weight': {
        const e = changeWeight(this.ctx, s, args[4] ?? '');
        return e ? this.err(e) : null;
      }
      case 'health': {
        // HAProxy 2.6 (cli_parse_set_server): checks or not, the health is forced and the state follows
        if (s.tracks) return this.err('cannot change health on a tracking server.\n');
        const h = this.ctx.checksHandle;
        if (args[4] === 'up' || args[4] === 'down') {
          if (!h) return this.err('tshaproxy: health checks are not running in this process.\n');
          h.forceHealth(s, args[4] === 'up');
          if (!ck) srvCounters(s).noCheckHealth = args[4] === 'up' ? checkRise(s) + checkFall(s) - 1 : 0;
          return null;
        }
        // the stopping state (HAProxy's NOLB: no new balanced traffic) is not modelled
        if (args[4] === 'stopping') return this.err("tshaproxy: 'set server <srv> health stopping' is not supported yet.\n");
        return this.err("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
      }
      case 'agent':
        return this.err('agent checks are not enabled on this server.\n');
      case 'check-port': {
        if (!args[4]) return this.err('set server <b>/<s> check-port requires a port.\n');
        if (!ck) return this.err('health checks are not enabled on this server');
        const e = setCheckPort(s, ck.spec, args[4]);
        return e ? this.err(e) : null;
      }
      case 'check-addr': {
        if (!args[4]) return this.err('set server <b>/<s> check-addr requires an address and optionally a port.\n');
        if (!ck) return this.err('health checks are not enabled on this server');
        if (!net.isIP(args[4])) return this.err(`invalid addr '${args[4]}'`);
        if (args[5] === 'port') {
          const e = setCheckPort(s, ck.spec, args[6] ?? '');
          if (e) return this.err(e);
        }
        ck.spec.host = ck.spec.ownAddr = args[4];
        return null;
      }
      case 'addr': {
        if (!args[4]) return this.err('set server <b>/<s> addr requires an address and optionally a port.\n');
        const port = args[5] === 'port' ? args[6] ?? '' : undefined;
        return { text: updateAddrPort(s, args[4], port, ck?.spec ?? null, 'stats socket command'), sev: LOG_WARNING };
      }
      default:
        // agent-*, fqdn, ssl are not implemented: HAProxy's answer to an unknown option
        return this.err(SET_SERVER_USAGE);
    }
  }

  enableDisableServer(args: string[], enable: boolean): Out {
    const f = this.findServer(args[2]);
    if ('error' in f) return f.error;
    if (enable) setReady(this.ctx, f.s);
    else setMaint(this.ctx, f.s);
    return null;
  }

  enableDisableFrontend(args: string[], enable: boolean): Out {
    if (!args[2]) return this.err('A frontend name is expected.\n');
    const fe = this.ctx.findFrontend(args[2]);
    if (!fe) return this.err('No such frontend.\n');
    if (enable) {
      if (!this.ctx.pausedFrontends.has(fe)) return this.msg('All sockets are already enabled.\n');
      void resumeFrontend(this.ctx, fe);
    } else {
      if (this.ctx.pausedFrontends.has(fe)) return this.msg('All sockets are already disabled.\n');
      void pauseFrontend(this.ctx, fe);
    }
    return null;
  }

  setMaxconn(args: string[]): Out {
    if (args[2] === 'global') {
      if (!args[3]) return this.err('Expects an integer value.\n');
      const v = atoi(args[3]);
      if (v < 0) return this.err('Value out of range.\n');
      (this.ctx.model as { globalMaxconn: number }).globalMaxconn = v;
      return null;
    }
    if (args[2] === 'frontend') {
      if (!args[3]) return this.err('A frontend name is expected.\n');
      const fe = this.ctx.findFrontend(args[3]);
      if (!fe) return this.err('No such frontend.\n');
      if (!args[4]) return this.err('Integer value expected.\n');
      const v = atoi(args[4]);
      if (v < 0) return this.err('Value out of range.\n');
      fe.maxconn = v;
      for (const l of this.ctx.listenersOf(fe)) (l as unknown as { drainHeld?: () => void }).drainHeld?.();
      return null;
    }
    const f = this.findServer(args[3]);
    if ('error' in f) return f.error;
    const v = Number(args[4]);
    if (!args[4] || !Number.isInteger(v) || v < 0) return this.err('Invalid maxconn value.\n');
    f.s.maxconn = v;
    return null;
  }

  clearCounters(args: string[]): Out {
    const all = args[2] === 'all';
    const p = this.needs(LVL_OPER) ?? (all ? this.needs(LVL_ADMIN) : undefined);
    if (p) return p;
    for (const px of this.ctx.model.proxies) {
      if (px.isFrontend) feCounters(px).clear(all);
      if (px.isBackend) beCounters(px).clear(all);
      for (const s of px.servers) srvCounters(s).clear(all);
      for (const l of this.ctx.listenersOf(px)) {
        const li = liCounters(l);
        if (li) {
          if (all) Object.assign(li, { cumConn: 0, bytesIn: 0, bytesOut: 0, deniedReq: 0, deniedResp: 0, failedReq: 0, deniedConn: 0, deniedSess: 0 });
          li.connMax = 0;
        }
      }
    }
    GLOBAL.cpsMax = GLOBAL.spsMax = 0;
    return null;
  }
}

/**
 * `set server <b>/<s> addr <ip> [port <port>]`: HAProxy's
 * srv_update_addr_port(), its texts observed on 2.6.12. A port written
 * "+N" or "-N" maps the client's port (as a server line without a port or
 * with +N). Health checks that go to the server's own address and port
 * follow it.
 */
function updateAddrPort(s: RtServer, addr: string, port: string | undefined, check: CheckSpec | null, updater: string): string {
  let msg = '';
  let changed = false;
  const oldHost = s.host;
  const oldPort = s.port;
  if (s.unixPath || !net.isIP(s.host)) msg = 'Update for the current server address family is only supported through configuration file';
  else if (!net.isIP(addr)) msg = `Invalid addr '${addr}'`;
  else {
    if (sameIp(s.host, addr)) msg = 'no need to change the addr';
    else {
      msg = `IP changed from '${s.host}' to '${addr}'`;
      s.host = addr;
      changed = true;
    }
    if (port !== undefined) {
      msg += ', ';
      const m = /^\s*[+-]?\d+/.exec(port);
      if (!m) msg += `problem converting port '${port}' to an int`;
      else {
        const n = Number.parseInt(m[0], 10);
        const sep = port.trimStart()[0];
        const mapped = sep === '+' || sep === '-';
        const current = s.usesClientPort ? s.portOffset : s.port;
        // a fixed port becomes a port map only with a check port of its own (`port`), checks or not (observed)
        if (mapped && !s.usesClientPort && !s.conf.options.get('port')) {
          msg +=
            "can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.";
        } else if (mapped === s.usesClientPort && current === n) msg += 'no need to change the port';
        else {
          msg += `port changed from '${s.usesClientPort ? '+' : ''}${current}' to '${mapped ? sep : ''}${n}'`;
          s.usesClientPort = mapped;
          if (mapped) s.portOffset = n;
          else s.port = n;
          changed = true;
        }
      }
    }
  }
  // idle connections to the old address are not reused (HAProxy, observed: the next request goes to the new one)
  if (changed) {
    s.addrGen++;
    closePools([s]);
  }
  // checks without an address or port of their own follow the server
  if (changed && check && !check.unixPath) {
    if (check.ownAddr === undefined && check.host === oldHost) check.host = s.host;
    if (!check.ownPort && check.port === oldPort && !s.usesClientPort) check.port = s.port;
  }
  return `${msg} by '${updater}'\n`;
}

/**
 * `set server check-port` (or the port of `check-addr`): 0 means the server's
 * own port again. HAProxy's texts; errors print without a newline, as its do.
 */
function setCheckPort(s: RtServer, spec: CheckSpec, text: string): string | null {
  if (!/^[+-]?\d+$/.test(text)) return 'provided port is not an integer';
  const n = Number(text);
  if (n < 0 || n > 65535) return 'provided port is invalid';
  spec.ownPort = n;
  spec.port = n || s.port;
  return null;
}

/** a server's `rise` / `fall` as configured (HAProxy's defaults 2 and 3) */
function checkRise(s: RtServer): number {
  return Math.max(1, Number(s.conf.options.get('rise')?.[0] ?? 2) || 2);
}
function checkFall(s: RtServer): number {
  return Math.max(1, Number(s.conf.options.get('fall')?.[0] ?? 3) || 3);
}

function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  const fam = net.isIP(a);
  if (fam !== net.isIP(b)) return false;
  if (fam === 4) return a.split('.').map(Number).join('.') === b.split('.').map(Number).join('.');
  const sa = new net.SocketAddress({ address: a, family: 'ipv6' });
  const sb = new net.SocketAddress({ address: b, family: 'ipv6' });
  return sa.address === sb.address;
}

const SET_SERVER_USAGE =
  'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';

/** what `show sess` reads of a stream */
interface SessionView {
  addrs?: { src: string; srcPort: number; family: 4 | 6 };
  be?: RtProxy | null;
  server?: RtServer | null;
  slog?: { acceptDate: number } | null;
  acceptedAt?: number;
}

const streamIds = new WeakMap<object, string>();
let nextStreamId = 0x55d0531976b0;

function streamId(s: object): string {
  let id = streamIds.get(s);
  if (!id) {
    nextStreamId += 0x1f0;
    id = `0x${nextStreamId.toString(16)}`;
    streamIds.set(s, id);
  }
  return id;
}

/** HAProxy's human_time(): "5s", "3m12s", "1h02m", "2d03h" */
function humanTime(t: number): string {
  if (t < 0) return '<NEVER>';
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(t / 86400)}d${String(Math.floor((t % 86400) / 3600)).padStart(2, '0')}h`;
}

function atoi(s: string): number {
  const m = /^[ \t]*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1], 10) : 0;
}

/** HAProxy's HCHK_STATUS_* numbers (show servers state) */
const HCHK: Record<string, number> = { SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17 };

type Command = (s: CliSession, args: string[]) => Out | 'quit';

/** the commands tshaproxy runs, with the level each needs */
const COMMANDS: Record<string, Command> = {
  help: (s, a) => s.help(a),
  prompt: (s) => s.togglePrompt(),
  quit: () => 'quit',
  _getsocks: () => 'quit',
  'expert-mode': (s, a) => s.expertMode(a),
  'experimental-mode': () => null,
  'show cli level': (s) => s.showCliLevel(),
  operator: (s) => s.lowerLevel(LVL_OPER),
  user: (s) => s.lowerLevel(LVL_USER),
  'set severity-output': (s, a) => s.setSeverity(a),
  'set timeout': (s, a) => s.setTimeout(a),
  'show info': (s, a) => s.showInfo(a),
  'show stat': (s, a) => s.showStat(a),
  'show servers state': (s, a) => s.showServersState(a),
  'show backend': (s) => s.showBackend(),
  'show version': (s) => s.showVersion(),
  'get weight': (s, a) => s.getWeight(a),
  'show errors': level(LVL_OPER, (s, a) => s.showErrors(a)),
  'show sess': level(LVL_OPER, (s, a) => s.showSess(a)),
  'clear counters': (s, a) => s.clearCounters(a),
  'set weight': level(LVL_ADMIN, (s, a) => s.setWeight(a)),
  'set server': level(LVL_ADMIN, (s, a) => s.setServer(a)),
  'disable server': level(LVL_ADMIN, (s, a) => s.enableDisableServer(a, false)),
  'enable server': level(LVL_ADMIN, (s, a) => s.enableDisableServer(a, true)),
  'disable frontend': level(LVL_ADMIN, (s, a) => s.enableDisableFrontend(a, false)),
  'enable frontend': level(LVL_ADMIN, (s, a) => s.enableDisableFrontend(a, true)),
  'set maxconn global': level(LVL_ADMIN, (s, a) => s.setMaxconn(a)),
  'set maxconn frontend': level(LVL_ADMIN, (s, a) => s.setMaxconn(a)),
  'set maxconn server': level(LVL_ADMIN, (s, a) => s.setMaxconn(a)),
  // stick tables (src/runtime/stick/cli.ts)
  'show table': (s, a) => stickTableCommand(s, a),
  'clear table': (s, a) => stickTableCommand(s, a),
  'set table': (s, a) => stickTableCommand(s, a),
};

function stickTableCommand(s: CliSession, a: string[]): Out {
  const x = s as unknown as { level: number; ctx: StatsContext };
  return stickCli(x.ctx.model.config, a, x.level);
}

function level(min: number, run: Command): Command {
  return (s, a) => {
    const l = (s as unknown as { level: number }).level;
    if (l < min) return { text: 'Permission denied\n', sev: LOG_ERR };
    return run(s, a);
  };
}

