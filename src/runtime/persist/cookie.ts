/**
 * Cookie persistence (`cookie NAME [rewrite|insert|prefix] ...` in a backend
 * and `cookie VALUE` on its servers), byte for byte as HAProxy 2.6 treats the
 * headers:
 *
 *  - request: every `Cookie` header is walked cookie by cookie (`;` and `,`
 *    separate them, `$attributes` stay glued to the cookie before them,
 *    quoted values are respected, blanks around `=` are removed). The first
 *    cookie NAME whose value designates a server usable for this request sends
 *    the stream to that server (HAProxy's SF_DIRECT); in `prefix` mode the
 *    `SRV~` prefix is stripped; in `insert indirect` mode the cookie is removed.
 *  - response: a `Set-Cookie` NAME from the server is prefixed (`prefix`),
 *    rewritten (`rewrite`) or removed (`insert`, or `indirect` on a direct
 *    hit); in `insert` mode a `set-cookie: NAME=VALUE; path=/...` is added
 *    unless the client already sent the right one, with `cache-control:
 *    private` under `nocache` when the response is cacheable.
 */
import type { CookieConf } from '../../config/model.js';
import type { HeaderList, HttpMessage } from '../http/h1/message.js';
import type { RtProxy, RtServer } from '../model.js';

export interface CookieConfig {
  name: string;
  mode: CookieConf['mode'];
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  preserve: boolean;
  httponly: boolean;
  secure: boolean;
  /** "d1; domain=d2" as HAProxy joins several `domain` options */
  domain?: string;
  /** seconds, 0 = unset */
  maxidle: number;
  maxlife: number;
  /** "a1; a2" */
  attrs?: string;
}

const configs = new WeakMap<RtProxy, CookieConfig | null>();

export function cookieConfig(be: RtProxy): CookieConfig | null {
  let c = configs.get(be);
  if (c !== undefined) return c;
  const k = be.conf.cookie;
  c = null;
  if (k) {
    const o = k.options;
    const domains: string[] = [];
    const attrs: string[] = [];
    let maxidle = 0;
    let maxlife = 0;
    for (let i = 0; i < o.length; i++) {
      if (o[i] === 'domain') domains.push(o[++i]);
      else if (o[i] === 'attr') attrs.push(o[++i]);
      else if (o[i] === 'maxidle') maxidle = seconds(o[++i]);
      else if (o[i] === 'maxlife') maxlife = seconds(o[++i]);
    }
    c = {
      name: k.name,
      mode: k.mode,
      indirect: o.includes('indirect'),
      nocache: o.includes('nocache'),
      postonly: o.includes('postonly'),
      preserve: o.includes('preserve'),
      httponly: o.includes('httponly'),
      secure: o.includes('secure'),
      domain: domains.length ? domains.join('; domain=') : undefined,
      maxidle,
      maxlife,
      attrs: attrs.length ? attrs.join('; ') : undefined,
    };
  }
  configs.set(be, c);
  return c;
}

function seconds(v: string | undefined): number {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(v ?? '');
  if (!m) return 0;
  const mult: Record<string, number> = { us: 1e-6, ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  return Math.floor(+m[1] * mult[m[2] ?? 's']);
}

/** HAProxy's TX_CK_* as the log's termination state shows it (3rd character) */
export type ClientCookieState = 'N' | 'I' | 'D' | 'V' | 'E' | 'O' | 'U';
/** HAProxy's TX_SCK_* (4th character) */
export type ServerCookieState = 'N' | 'P' | 'D' | 'I' | 'R' | 'U';

/** What cookie persistence decided for one HTTP transaction. */
export interface PersistTxn {
  readonly cfg: CookieConfig;
  /** the server the request's cookie designates (SF_DIRECT); undefined: balance normally */
  direct?: RtServer;
  ck: ClientCookieState;
  sck: ServerCookieState;
  /** dates carried by the client cookie (seconds since the epoch, 0 = none) */
  lastDate: number;
  firstDate: number;
  /** GET, HEAD, OPTIONS or TRACE: cacheable until the response says otherwise */
  safeMethod: boolean;
  post: boolean;
  /** ignore-persist matched: the cookie is neither used nor set */
  ignore: boolean;
  /** force-persist matched: down servers are used, and never left by a redispatch */
  force: boolean;
}

export interface PersistFlags {
  /** ignore-persist matched */
  ignore?: boolean;
  /** force-persist matched: a down server is still used */
  force?: boolean;
  /** a server was already chosen (use-server): the cookie cannot change it */
  assigned?: boolean;
}

const isSpHt = (c: number) => c === 0x20 || c === 0x09;

/** http_find_cookie_value_end: the end of a value, quoted strings respected */
function cookieValueEnd(h: string, s: number, e: number): number {
  let quoted = false;
  let qdpair = false;
  for (; s < e; s++) {
    const c = h.charCodeAt(s);
    if (qdpair) qdpair = false;
    else if (quoted) {
      if (c === 0x5c) qdpair = true;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c || c === 0x3b) return s;
  }
  return s;
}

/** http_find_hdr_value_end: the next unquoted comma */
function hdrValueEnd(h: string, s: number, e: number): number {
  let quoted = false;
  let qdpair = false;
  for (; s < e; s++) {
    const c = h.charCodeAt(s);
    if (qdpair) qdpair = false;
    else if (quoted) {
      if (c === 0x5c) qdpair = true;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c) return s;
  }
  return s;
}

interface Cut {
  h: string;
  /** new position of `from` */
  from: number;
  /** how much everything after `next` moved */
  delta: number;
}

/**
 * http_del_hdr_value: removes the cookie(s) between `from` (the delimiter
 * before them, or the start) and `next` (the delimiter after them, or the
 * end), keeping one delimiter and one space between the neighbours.
 */
function delValue(h: string, from: number, next: number): Cut {
  const end = h.length;
  let prev = from;
  let ins = '';
  if (prev === 0) {
    if (next < end) next++;
    while (next < end && isSpHt(h.charCodeAt(next))) next++;
  } else {
    while (prev > 0 && isSpHt(h.charCodeAt(prev - 1))) prev--;
    from = prev;
    if (next < end) {
      ins = h[next];
      // room for a space after the delimiter?
      if (prev + 2 < next + 1) ins += ' ';
      next++;
      while (next < end && isSpHt(h.charCodeAt(next))) next++;
    }
  }
  const np = prev + ins.length;
  return { h: h.slice(0, prev) + ins + h.slice(next), from, delta: np - next };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** s30tob64: the low 30 bits as 5 base64 characters, most significant first */
export function s30tob64(v: number): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += B64[(v >>> 24) & 0x3f];
    v = (v << 6) | 0;
  }
  return out;
}

/** b64tos30: -1 when the 5 characters are not base64 */
export function b64tos30(s: string): number {
  if (s.length < 5) return -1;
  let out = 0;
  for (let i = 0; i < 5; i++) {
    const b = B64.indexOf(s[i]);
    if (b < 0) return -1;
    out = out * 64 + b;
  }
  return out;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * The request side: finds the persistence cookie, picks its server, and
 * rewrites the Cookie headers. Returns null when the backend has no `cookie`.
 */
export function persistRequest(be: RtProxy, req: HttpMessage, flags: PersistFlags = {}): PersistTxn | null {
  const cfg = cookieConfig(be);
  if (!cfg) return null;
  const m = req.method;
  const txn: PersistTxn = {
    cfg,
    ck: 'N',
    sck: 'N',
    lastDate: 0,
    firstDate: 0,
    safeMethod: m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'TRACE',
    post: m === 'POST',
    ignore: !!flags.ignore,
    force: !!flags.force,
  };
  let assigned = !!flags.assigned;
  const hdrs = req.headers;
  const name = cfg.name;
  const prefix = cfg.mode === 'prefix';
  const insIndirect = cfg.mode === 'insert' && cfg.indirect;
  for (let hi = 0; hi < hdrs.length; hi++) {
    if (hdrs.names[hi] !== 'cookie') continue;
    const orig = hdrs.values[hi];
    let h = orig;
    let delFrom = -1;
    let preserve = false;
    let first = true;
    let next: number;
    for (let prev = 0; prev < h.length; prev = next) {
      let attBeg = prev;
      if (!first) attBeg++;
      first = false;
      while (attBeg < h.length && isSpHt(h.charCodeAt(attBeg))) attBeg++;
      let equal = attBeg;
      let attEnd = attBeg;
      while (equal < h.length) {
        const c = h.charCodeAt(equal);
        if (c === 0x3d || c === 0x2c || c === 0x3b) break;
        equal++;
        if (isSpHt(c)) continue;
        attEnd = equal;
      }
      let valBeg: number;
      let valEnd: number;
      if (equal < h.length && h.charCodeAt(equal) === 0x3d) {
        valBeg = equal + 1;
        while (valBeg < h.length && isSpHt(h.charCodeAt(valBeg))) valBeg++;
        next = cookieValueEnd(h, valBeg, h.length);
        valEnd = next;
        while (valEnd > valBeg && isSpHt(h.charCodeAt(valEnd - 1))) valEnd--;
      } else valBeg = valEnd = next = equal;

      // $attributes belong to the cookie before them
      if (h.charCodeAt(attBeg) === 0x24) continue;

      if (equal === next) {
        // no '=': not a cookie of ours, so the header stays
        preserve = true;
        if (delFrom >= 0) {
          const c = delValue(h, delFrom, prev);
          h = c.h;
          next += c.delta;
          delFrom = -1;
        }
        continue;
      }

      // blanks around '=' go away
      if (attEnd !== equal || valBeg > equal + 1) {
        const t = dropBlanksAroundEqual(h, attEnd, equal, valBeg);
        h = t.h;
        equal = t.equal;
        valBeg = t.valBeg;
        valEnd += t.shift;
        next += t.shift;
      }

      if (attEnd - attBeg === name.length && h.startsWith(name, attBeg)) {
        // NAME=SRV~VALUE in prefix mode, NAME=SRV[|last[|first]] otherwise
        let delim = valEnd;
        if (prefix) {
          const t = h.indexOf('~', valBeg);
          delim = t >= 0 && t < valEnd ? t : valEnd;
        } else {
          let bar = h.indexOf('|', valBeg);
          if (bar >= 0 && bar < valEnd) {
            delim = bar++;
            if (valEnd - bar >= 5) {
              const v = b64tos30(h.slice(bar, bar + 5));
              if (v > 0) txn.lastDate = v * 4;
            }
            const bar2 = h.indexOf('|', bar);
            if (bar2 >= 0 && bar2 < valEnd && valEnd - bar2 > 5) {
              const v = b64tos30(h.slice(bar2 + 1, bar2 + 6));
              if (v > 0) txn.firstDate = v * 4;
            }
          }
        }
        // too old, or idle for too long: as if there were no cookie
        const t = now();
        if (txn.firstDate && cfg.maxlife && (t - txn.firstDate > cfg.maxlife || txn.firstDate - t > 86400)) {
          txn.ck = 'O';
          delim = valBeg;
          txn.firstDate = txn.lastDate = 0;
        } else if (txn.lastDate && cfg.maxidle && (t - txn.lastDate > cfg.maxidle || txn.lastDate - t > 86400)) {
          txn.ck = 'E';
          delim = valBeg;
          txn.firstDate = txn.lastDate = 0;
        }
        // the first server with this cookie that may take the stream
        let found: RtServer | undefined;
        if (delim !== valBeg && !txn.ignore && !assigned) {
          const id = h.slice(valBeg, delim);
          for (const s of be.servers) {
            if (s.conf.cookie === undefined || s.conf.cookie !== id) continue;
            if (s.up || be.option('persist') || flags.force) {
              txn.ck = s.up ? 'V' : 'D';
              txn.direct = found = s;
              assigned = true;
              break;
            }
            txn.ck = 'D';
          }
        }
        if (!found && txn.ck !== 'D' && txn.ck !== 'E' && txn.ck !== 'O') txn.ck = txn.ignore || assigned ? 'U' : 'I';

        if (prefix && delim !== valEnd) {
          // the server's part goes, the application's cookie stays
          h = h.slice(0, valBeg) + h.slice(delim + 1);
          const d = valBeg - (delim + 1);
          valEnd += d;
          next += d;
          delFrom = -1;
          preserve = true;
        } else if (delFrom < 0 && insIndirect) delFrom = prev;
      } else {
        preserve = true;
        if (delFrom >= 0) {
          const c = delValue(h, delFrom, prev);
          h = c.h;
          next += c.delta;
          delFrom = -1;
        }
      }
    }
    if (delFrom >= 0) h = preserve ? h.slice(0, delFrom) : '';
    if (h !== orig) {
      if (h.length) hdrs.setValueAt(hi, h);
      else {
        hdrs.removeAt(hi);
        hi--;
      }
    }
  }
  return txn;
}

/**
 * The response side: Set-Cookie rewriting and insertion. `srv` is the server
 * that answered; `direct` tells whether it is the one the cookie asked for.
 */
export function persistResponse(txn: PersistTxn, srv: RtServer | null, res: HttpMessage): void {
  const cfg = txn.cfg;
  const direct = !!srv && srv === txn.direct;
  const hdrs = res.headers;
  let found = false;
  for (const hname of ['set-cookie', 'set-cookie2']) {
    const cookie2 = hname === 'set-cookie2';
    for (let hi = 0; hi < hdrs.length; hi++) {
      if (hdrs.names[hi] !== hname) continue;
      let h = hdrs.values[hi];
      const orig = h;
      // HAProxy edits the header in place: a partial removal (Set-Cookie2 only)
      // moves the bytes but keeps the stored length, so the old tail shows again
      let phys = h;
      let stored = h.length;
      let removed = false;
      let first = true;
      let next: number;
      for (let prev = 0; prev < h.length; prev = next) {
        let attBeg = prev;
        if (!first) attBeg++;
        first = false;
        while (attBeg < h.length && isSpHt(h.charCodeAt(attBeg))) attBeg++;
        let equal = attBeg;
        let attEnd = attBeg;
        while (equal < h.length) {
          const c = h.charCodeAt(equal);
          if (c === 0x3d || c === 0x3b || (cookie2 && c === 0x2c)) break;
          equal++;
          if (isSpHt(c)) continue;
          attEnd = equal;
        }
        let valBeg: number;
        let valEnd: number;
        if (equal < h.length && h.charCodeAt(equal) === 0x3d) {
          valBeg = equal + 1;
          while (valBeg < h.length && isSpHt(h.charCodeAt(valBeg))) valBeg++;
          next = cookieValueEnd(h, valBeg, h.length);
          valEnd = next;
          while (valEnd > valBeg && isSpHt(h.charCodeAt(valEnd - 1))) valEnd--;
        } else valBeg = valEnd = next = equal;
        // Set-Cookie holds one cookie (its attributes may contain commas); Set-Cookie2 several
        if (next < h.length) next = cookie2 ? hdrValueEnd(h, next, h.length) : h.length;
        if (equal === valEnd) continue;
        if (attEnd !== equal || valBeg > equal + 1) {
          const t = dropBlanksAroundEqual(h, attEnd, equal, valBeg);
          h = t.h;
          equal = t.equal;
          valBeg = t.valBeg;
          valEnd += t.shift;
          next += t.shift;
          phys = h;
          stored = h.length;
        }
        if (txn.ignore || attEnd - attBeg !== cfg.name.length || !h.startsWith(cfg.name, attBeg)) continue;
        found = true;
        txn.sck = 'P';
        if (cfg.preserve) {
          /* the server's own cookie is left alone */
        } else if ((srv && cfg.mode === 'insert') || (direct && cfg.indirect)) {
          if (prev === 0 && next === h.length) {
            removed = true;
            next = h.length;
          } else {
            const c = delValue(h, prev, next);
            h = c.h;
            phys = h + phys.slice(h.length);
            next = c.from;
          }
          txn.sck = 'D';
          if (removed) break;
        } else if (srv && srv.conf.cookie !== undefined && cfg.mode === 'rewrite') {
          const v = srv.conf.cookie;
          h = h.slice(0, valBeg) + v + h.slice(valEnd);
          phys = h;
          stored = h.length;
          next += v.length - (valEnd - valBeg);
          txn.sck = 'R';
        } else if (srv && srv.conf.cookie !== undefined && cfg.mode === 'prefix') {
          const v = srv.conf.cookie + '~';
          h = h.slice(0, valBeg) + v + h.slice(valBeg);
          phys = h;
          stored = h.length;
          next += v.length;
          txn.sck = 'R';
        }
      }
      if (removed) {
        hdrs.removeAt(hi);
        hi--;
      } else if (phys.slice(0, stored) !== orig) hdrs.setValueAt(hi, phys.slice(0, stored));
    }
  }

  if (cfg.mode !== 'insert' || !srv || txn.ignore) return;
  if (found && cfg.preserve) return;
  if (cfg.postonly && !txn.post) return;
  const t = now();
  const refresh =
    !direct ||
    ((cfg.maxidle || txn.lastDate) && (!txn.lastDate || txn.lastDate - t < 0)) ||
    (cfg.maxlife && !txn.firstDate) ||
    (!cfg.maxlife && txn.firstDate);
  if (!refresh) return;
  let v: string;
  const sc = srv.conf.cookie;
  if (sc === undefined) v = `${cfg.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  else {
    v = `${cfg.name}=${sc}`;
    if (cfg.maxidle || cfg.maxlife) {
      v += '|' + s30tob64((t + 3) >>> 2);
      if (cfg.maxlife) v += '|' + s30tob64(txn.firstDate ? txn.firstDate >>> 2 : (t + 3) >>> 2);
    }
    v += '; path=/';
  }
  if (cfg.domain) v += `; domain=${cfg.domain}`;
  if (cfg.httponly) v += '; HttpOnly';
  if (cfg.secure) v += '; Secure';
  if (cfg.attrs) v += `; ${cfg.attrs}`;
  hdrs.add('set-cookie', v);
  txn.sck = sc !== undefined && direct ? 'U' : 'I';
  if (cfg.nocache && cacheable(txn, res)) hdrs.add('cache-control', 'private');
}

/** Cacheability as HAProxy works it out for `nocache` (its TX_CACHEABLE flag). */
function cacheable(txn: PersistTxn, res: HttpMessage): boolean {
  // safe methods start cacheable, and only some statuses keep it
  let ok = txn.safeMethod;
  switch (res.status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      break;
    default:
      ok = false;
  }
  const h: HeaderList = res.headers;
  const pragma = h.get('pragma');
  if (pragma !== undefined && pragma.toLowerCase() === 'no-cache') return false;
  let fresh = false;
  for (let i = 0; i < h.length; i++) {
    if (h.names[i] !== 'cache-control') continue;
    for (const part of h.values[i].split(',')) {
      const v = part.trim().toLowerCase();
      if (v === 'public') ok = true;
      else if (v === 'private' || v === 'no-cache' || v === 'no-store' || v === 'max-age=0' || v === 's-maxage=0') ok = false;
      else if (v.startsWith('no-cache="set-cookie')) {
        /* only the cookie may not be cached: the response still is */
      } else if (v.startsWith('s-maxage') || v.startsWith('max-age')) fresh = true;
    }
  }
  // nothing says how long it stays fresh and nothing validates it: not cacheable
  if (!fresh && !h.has('expires') && !h.has('etag') && !h.has('last-modified')) return false;
  return ok;
}

/**
 * HAProxy removes the blanks around a cookie's '=' when it rewrites a
 * header: `name = value` becomes `name=value`. Returns the new text, the new
 * positions of '=' and of the value, and how far what followed moved.
 */
function dropBlanksAroundEqual(h: string, attEnd: number, equal: number, valBeg: number): { h: string; equal: number; valBeg: number; shift: number } {
  let shift = 0;
  if (attEnd !== equal) {
    h = h.slice(0, attEnd) + h.slice(equal);
    shift = attEnd - equal;
    equal += shift;
    valBeg += shift;
  }
  if (valBeg > equal + 1) {
    const after = equal + 1 - valBeg;
    h = h.slice(0, equal + 1) + h.slice(valBeg);
    valBeg += after;
    shift += after;
  }
  return { h, equal, valBeg, shift };
}
