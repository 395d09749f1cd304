/**
 * The HTTP stats applet: HAProxy 2.6 answers a GET, HEAD or POST whose URI
 * starts with `stats uri` itself once the proxy's http-request rules let
 * the request through (http_process_req_common: http-request rules, then
 * the stats check, then `redirect` rules). `stats http-request` rules and
 * `stats auth` accounts decide first (401 with HAProxy's default realm
 * "HAProxy Statistics"); `stats admin` conditions open the admin form (a
 * POST then changes servers and redirects with 303 to `;st=<code>`).
 *
 * The page is the HTML report, or `;csv` / `;json` / `;typed` exports;
 * `;norefresh`, `;up` and `?scope=` shape it.
 */
import type { RtProxy, RtServer } from '../model.js';
import { H1Parser } from '../http/h1/parser.js';
import { FrontConn } from '../http/h1/serializer.js';
import type { HttpMessage } from '../http/h1/message.js';
import { cloneReply, errorReply } from '../rules/reply.js';
import { evalCondition } from '../conditions.js';
import { sendReply, type HttpRuleSession } from '../rules/http.js';
import { ADMF_FDRAIN, ADMF_FMAINT } from '../checks/index.js';
import { setDrain, setMaint, setReady } from './admin.js';
import type { StatsContext } from './context.js';
import { setAppletFraming, statsAppletTxn, statsDenied, statsIntercepted } from './counters.js';
import { CSV_HEADER, FLAG_SHLGNDS, csvLine, typedLines } from './fields.js';
import { renderPage, type PageOpts } from './html.js';
import { jsonStat } from './json.js';
import { uriAuthOf, type UriAuth } from './uri-auth.js';

const DEFAULT_REALM = 'HAProxy Statistics';
const ST_CODES = ['DENY', 'DONE', 'ERRP', 'EXCD', 'NONE', 'PART', 'UNKN', 'IVAL'];

let current: StatsContext | null = null;

/** the stats context the applet serves (set by startStats) */
export function setAppletContext(ctx: StatsContext | null): void {
  current = ctx;
}

/** the path (with its query) of a request URI: an absolute URI loses its scheme and authority */
function pathOfUri(uri: string): string {
  if (uri[0] === '/' || uri === '*') return uri;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(uri);
  return m ? uri.slice(m[0].length) : uri;
}

interface Request {
  flags: { up: boolean; norefresh: boolean; csv: boolean; typed: boolean; json: boolean; schema: boolean };
  st?: string;
  scope: string;
}

function parseFlags(rest: string): Request {
  const r: Request = { flags: { up: false, norefresh: false, csv: false, typed: false, json: false, schema: false }, scope: '' };
  r.flags.up = rest.includes(';up');
  r.flags.norefresh = rest.includes(';norefresh');
  r.flags.csv = rest.includes(';csv');
  r.flags.typed = rest.includes(';typed');
  r.flags.schema = rest.includes(';json-schema');
  r.flags.json = !r.flags.schema && rest.includes(';json');
  const st = /;st=(.{4})/.exec(rest);
  if (st) r.st = ST_CODES.includes(st[1]) ? st[1] : 'UNKN';
  const sc = /[;?&]scope=([A-Za-z0-9._-]{0,20})/.exec(rest);
  if (sc) r.scope = sc[1];
  return r;
}

/** Basic credentials of the request checked against `stats auth` */
function authorized(req: HttpMessage, users: Map<string, string>): boolean {
  const h = req.headers.get('authorization');
  if (!h) return false;
  const m = /^basic\s+(\S+)/i.exec(h);
  if (!m) return false;
  const dec = Buffer.from(m[1], 'base64').toString('latin1');
  const i = dec.indexOf(':');
  if (i < 0) return false;
  return users.get(dec.slice(0, i)) === dec.slice(i + 1);
}

interface AppletSession extends HttpRuleSession {
  readonly listener?: object;
  readonly slog?: object | null;
  pendingRequestBody?(): readonly Buffer[];
}

/**
 * The stats check of http_process_req_common for proxy `px`: true when the
 * applet answered (or the stats rules denied/challenged) and the request
 * must not go further.
 */
export function statsRequest(s: AppletSession, px: RtProxy): boolean {
  const ua = uriAuthOf(px);
  const ctx = current;
  const req = s.req;
  if (!ua || !ctx || !req) return false;
  const meth = req.method;
  if (meth !== 'GET' && meth !== 'HEAD' && meth !== 'POST') return false;
  const uri = ua.uri[0] === '/' ? pathOfUri(req.uri) : req.uri;
  if (!uri.startsWith(ua.uri)) return false;
  const r = parseFlags(uri.slice(ua.uri.length));
  const sc = s.sampleContext();
  // stats http-request rules, or the implicit `auth unless http_auth(stats users)`
  if (ua.rules.length) {
    for (const rule of ua.rules) {
      const cond = rule.conf.cond;
      if (cond) {
        const ok = rule.acls.cond(cond).eval(sc, true);
        if (ok !== true) continue;
      }
      const a = rule.conf.action;
      if (a === 'allow') break;
      if (a === 'deny') {
        statsDenied(s, false);
        sendReply(s, errorReply(403, s.be?.conf, s.fe.conf, sc), 403, false, { cause: 'P', phase: 'R' });
        return true;
      }
      if (a === 'auth') {
        const realm = rule.conf.args[0] === 'realm' ? rule.conf.args[1] : ua.realm ?? DEFAULT_REALM;
        challenge(s, realm);
        return true;
      }
    }
  } else if (ua.users && !authorized(req, ua.users)) {
    challenge(s, ua.realm ?? DEFAULT_REALM);
    return true;
  }
  // `stats admin if|unless <cond>`: the first condition that holds opens the admin form
  let admin = false;
  for (const c of ua.adminConds) {
    if (evalCondition(c, s as unknown as Parameters<typeof evalCondition>[1], px) === true) {
      admin = true;
      break;
    }
  }
  if (px === s.fe && !s.be) statsIntercepted(s.fe);
  statsAppletTxn(s.fe, s.slog ?? null, px);
  if (s.term) s.term = { cause: 'L', phase: 'R' };
  if (meth === 'POST') {
    let code: string;
    if (!admin) code = 'DENY';
    else code = adminPost(ctx, s);
    redirect(s, ua, r, code);
    return true;
  }
  page(ctx, s, px, ua, r, admin);
  return true;
}

/** 401 with the stats realm (HAProxy's auth action on the stats applet) */
function challenge(s: AppletSession, realm: string): void {
  const base = errorReply(401, s.be?.conf, s.fe.conf, s.sampleContext());
  if (!base || !base.message) {
    sendReply(s, base, 401, false, { cause: 'P', phase: 'R' });
    return;
  }
  const rep = cloneReply(base);
  rep.message!.headers.del('www-authenticate');
  rep.message!.headers.add('www-authenticate', `Basic realm="${realm}"`);
  sendReply(s, rep, 401, false, { cause: 'P', phase: 'R' });
}

function responseHead(s: AppletSession, text: string): { head: string; close: boolean } {
  const p = new H1Parser({ response: true });
  const b = Buffer.from(text, 'latin1');
  p.parse(b, 0, b.length);
  const front = new FrontConn(s.fe.option('httpclose') || s.fe.option('forceclose') ? 'clo' : 'kal');
  if (s.req) front.requestIn(s.req);
  const head = front.responseHead(p.message, { proxyResponse: true, requestDone: s.requestDone() });
  return { head, close: front.close };
}

function redirect(s: AppletSession, ua: UriAuth, r: Request, code: string): void {
  const loc = `${ua.uri};st=${code}${r.flags.up ? ';up' : ''}${r.flags.norefresh ? ';norefresh' : ''}${r.scope ? `?scope=${r.scope}` : ''}`;
  const { head, close } = responseHead(
    s,
    `HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nLocation: ${loc}\r\n\r\n`,
  );
  s.proxyReply(Buffer.from(head, 'latin1'), 303, close);
}

/** the limit of a response chunk: what fits in one buffer (bufsize minus the reserve) */
const CHUNK = 15360;

function page(ctx: StatsContext, s: AppletSession, px: RtProxy, ua: UriAuth, r: Request, admin: boolean): void {
  const f = r.flags;
  const scope = (p: RtProxy): boolean => {
    if (ua.scopes && !ua.scopes.some((n) => n === p.name || (n === '.' && p === px))) return false;
    if (r.scope && !p.name.toLowerCase().includes(r.scope.toLowerCase())) return false;
    return true;
  };
  const filter = { iid: -1, types: -1, sid: -1, hideMaint: false, hideDown: f.up, flags: ua.showLegends ? FLAG_SHLGNDS : 0, scope };
  let type = 'text/html';
  let pieces: string[];
  if (f.schema || f.json) {
    // (`;json-schema` is not implemented: it gets the JSON export)
    type = 'application/json';
    pieces = [jsonStat(ctx, filter)];
  } else if (f.csv || f.typed) {
    type = 'text/plain';
    let out = f.typed ? '' : CSV_HEADER;
    ctx.rows(filter, (_p, row) => {
      if (row) out += f.typed ? typedLines(row, false) : csvLine(row);
    });
    pieces = [out];
  } else {
    const o: PageOpts = {
      uriPrefix: ua.uri,
      refresh: ua.refresh,
      admin,
      hideDown: f.up,
      noRefresh: f.norefresh,
      hideVersion: ua.hideVersion,
      showLegends: ua.showLegends,
      showNode: ua.showNode,
      showDesc: ua.showDesc,
      scopeTxt: r.scope,
      stCode: r.st,
      self: px,
    };
    pieces = renderPage(ctx, o, filter);
  }
  const isHead = s.req!.method === 'HEAD';
  let text = `HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nContent-Type: ${type}\r\n`;
  if (ua.refresh > 0 && !f.norefresh) text += `Refresh: ${ua.refresh}\r\n`;
  if (!isHead) text += 'Transfer-Encoding: chunked\r\n';
  const { head, close } = responseHead(s, text + '\r\n');
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  let framing = 0;
  if (!isHead) {
    // one chunk per buffer's worth, as the applet fills its buffer
    let cur = '';
    const flush = () => {
      if (!cur) return;
      const b = Buffer.from(cur, 'latin1');
      const size = `${b.length.toString(16).toUpperCase()}\r\n`;
      framing += size.length + 2;
      parts.push(Buffer.from(size, 'latin1'), b, CRLF);
      cur = '';
    };
    for (const p of pieces) {
      if (cur && cur.length + p.length > CHUNK) flush();
      cur += p;
    }
    flush();
    parts.push(LAST);
    framing += LAST.length;
  }
  setAppletFraming(s.slog ?? null, framing);
  s.proxyReply(Buffer.concat(parts), 200, close);
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST = Buffer.from('0\r\n\r\n', 'latin1');

/** the form's fields, last value first as HAProxy reads them */
function formFields(body: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of body.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = i < 0 ? part : part.slice(0, i);
    const v = i < 0 ? '' : part.slice(i + 1);
    out.push([decode(k), decode(v)]);
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** the request body received so far (the admin form is small: it comes with the head) */
function requestBody(s: AppletSession): string {
  const parts = s.pendingRequestBody?.();
  return parts && parts.length ? Buffer.concat(parts).toString('latin1') : '';
}

/** stats_process_http_post(): applies the form's action to the checked servers; returns the status code */
function adminPost(ctx: StatsContext, s: AppletSession): string {
  const fields = formFields(requestBody(s));
  let be: RtProxy | undefined;
  let action: string | undefined;
  const servers: string[] = [];
  for (let i = fields.length - 1; i >= 0; i--) {
    const [k, v] = fields[i];
    if (k === 'b' && !be) {
      be = ctx.findBackend(v);
      if (!be) return 'ERRP';
    } else if (k === 'action' && !action) {
      if (!ACTIONS.has(v)) return 'ERRP';
      action = v;
    } else if (k === 's') servers.push(v);
  }
  if (!be || !action) return 'NONE';
  let total = 0;
  let altered = 0;
  for (const name of servers) {
    const sv = ctx.findServer(be, name);
    if (!sv) {
      total++;
      continue;
    }
    const r = applyAction(ctx, sv, action);
    if (r) {
      total++;
      altered++;
    }
  }
  if (total === 0) return 'NONE';
  if (altered === 0) return 'ERRP';
  return altered === total ? 'DONE' : 'PART';
}

const ACTIONS = new Set(['ready', 'drain', 'maint', 'shutdown', 'dhlth', 'ehlth', 'hrunn', 'hnolb', 'hdown', 'dagent', 'eagent', 'arunn', 'adown', 'disable', 'enable', 'stop', 'start']);

function applyAction(ctx: StatsContext, sv: RtServer, action: string): boolean {
  switch (action) {
    case 'ready':
      setReady(ctx, sv);
      return true;
    case 'drain':
      setDrain(ctx, sv);
      return true;
    case 'maint':
      setMaint(ctx, sv);
      return true;
    case 'disable':
      if (sv.admin & ADMF_FMAINT) return false;
      setMaint(ctx, sv);
      return true;
    case 'enable':
      if (!(sv.admin & ADMF_FMAINT)) return false;
      setReady(ctx, sv);
      return true;
    case 'stop':
      if (sv.admin & ADMF_FDRAIN) return false;
      setDrain(ctx, sv);
      return true;
    case 'start':
      if (!(sv.admin & ADMF_FDRAIN)) return false;
      setReady(ctx, sv);
      return true;
    case 'shutdown': {
      for (const l of ctx.host.listeners) {
        for (const st of [...l.streams]) {
          const x = st as { server?: RtServer | null; kill?: () => void };
          if (x.server === sv) x.kill?.();
        }
      }
      return true;
    }
    default:
      // health and agent forcing: checks are not driven from the page in tshaproxy
      return false;
  }
}
