/**
 * Layer 5/6 fetches (7.3.5): the raw request/response buffers (tcp mode),
 * TLS ClientHello fields, RDP cookies, distcc. A fetch that needs bytes not
 * received yet answers "may change" (F_MAY_CHANGE), which makes a rule wait
 * while the inspect-delay runs.
 */
import type { SampleContext } from '../context.js';
import { argInt, defFetch } from '../registry.js';
import { F_MAY_CHANGE, F_NOT_LAST, OPT_FINAL, OPT_RES, T, type Sample } from '../types.js';
import { NEED_MORE, sslAlpn, sslEcExt, sslHelloType, sslSni, sslStExt, sslVersion } from '../clienthello.js';
import { readInt64 } from '../types.js';

/** tune.bufsize and its receive limit (bufsize - maxrewrite) */
export const BUFSIZE = 16384;
export const RECV_LIMIT = BUFSIZE - 1024;

const EMPTY = Buffer.alloc(0);
function reqBuf(ctx: SampleContext): Buffer | undefined {
  return ctx.reqBuf;
}
function chanBuf(ctx: SampleContext, kw: string, smp: Sample): Buffer | undefined {
  return kw.startsWith('res') || kw.startsWith('rep') || smp.opt & OPT_RES ? ctx.resBuf : ctx.reqBuf;
}

defFetch('wait_end', (smp) => {
  if (!(smp.opt & OPT_FINAL)) {
    smp.flags |= F_MAY_CHANGE;
    return false;
  }
  return smp.setBool(true);
});

defFetch(['req.len', 'req_len', 'res.len'], (smp, ctx, _a, kw) => {
  const b = kw === 'res.len' ? ctx.resBuf : ctx.reqBuf;
  smp.setInt(b ? b.length : 0);
  smp.flags |= F_MAY_CHANGE;
  return true;
});

/* payload(offset,length) */
defFetch(
  ['req.payload', 'payload', 'res.payload'],
  (smp, ctx, a, kw) => {
    const b = chanBuf(ctx, kw, smp) ?? EMPTY;
    const off: number = a[0];
    const len: number = a[1];
    if (len > BUFSIZE || off + len > BUFSIZE) return false;
    if (off + len > b.length) {
      smp.flags |= F_MAY_CHANGE;
      return false;
    }
    smp.setBin(b.subarray(off, len ? off + len : b.length));
    if (!len && !(kw === 'res.payload' ? ctx.resFinal : ctx.reqFinal)) smp.flags |= F_MAY_CHANGE;
    return true;
  },
  (a) => [argInt(a[0]), argInt(a[1])],
);

/* payload_lv(offset1,length[,offset2]) */
defFetch(
  ['req.payload_lv', 'payload_lv', 'res.payload_lv'],
  (smp, ctx, a, kw) => {
    const b = chanBuf(ctx, kw, smp) ?? EMPTY;
    const lenOff: number = a[0];
    const lenSize: number = a[1];
    if (lenOff + lenSize > b.length) {
      smp.flags |= F_MAY_CHANGE;
      return false;
    }
    let size = 0;
    for (let k = 0; k < lenSize; k++) size = size * 256 + b[lenOff + k];
    let off = lenOff + lenSize;
    if (a[2] !== undefined) off = a[2].rel ? off + a[2].v : a[2].v;
    if (!size || size > BUFSIZE || off + size > BUFSIZE) return false;
    if (off + size > b.length) {
      smp.flags |= F_MAY_CHANGE;
      return false;
    }
    return smp.setBin(b.subarray(off, off + size));
  },
  (a) => {
    const o2 = a[2];
    return [argInt(a[0]), argInt(a[1]), o2 ? { rel: o2[0] === '+' || o2[0] === '-', v: Number(readInt64(o2)) } : undefined];
  },
);

/* TLS hello */
function tlsResult(smp: Sample, r: number | string, asStr: boolean): boolean {
  if (r === NEED_MORE) {
    smp.flags |= F_MAY_CHANGE;
    return false;
  }
  if (typeof r === 'number' && r < 0) return false;
  return asStr ? smp.setStr(r as string) : smp.setInt(r as number);
}
/** HAProxy refuses these on HTX (HTTP mode) streams: the buffer holds parsed HTTP there. */
const htx = (ctx: SampleContext) => ctx.req !== undefined && ctx.reqBuf === undefined;

defFetch(['req.ssl_hello_type', 'req_ssl_hello_type', 'res.ssl_hello_type', 'rep_ssl_hello_type'], (smp, ctx, _a, kw) => {
  if (htx(ctx)) return false;
  const b = chanBuf(ctx, kw, smp) ?? EMPTY;
  return tlsResult(smp, sslHelloType(b), false);
});
defFetch(['req.ssl_ver', 'req_ssl_ver'], (smp, ctx) => {
  const b = reqBuf(ctx) ?? EMPTY;
  return tlsResult(smp, sslVersion(b, RECV_LIMIT), false);
});
defFetch(['req.ssl_sni', 'req_ssl_sni'], (smp, ctx) => {
  if (htx(ctx)) return false;
  return tlsResult(smp, sslSni(reqBuf(ctx) ?? EMPTY), true);
});
defFetch('req.ssl_st_ext', (smp, ctx) => {
  if (htx(ctx)) return false;
  return tlsResult(smp, sslStExt(reqBuf(ctx) ?? EMPTY), false);
});
defFetch('req.ssl_ec_ext', (smp, ctx) => {
  if (htx(ctx)) return false;
  const r = sslEcExt(reqBuf(ctx) ?? EMPTY);
  if (r === 1) return smp.setBool(true);
  return tlsResult(smp, r, false);
});
defFetch('req.ssl_alpn', (smp, ctx) => {
  if (htx(ctx)) return false;
  if (smp.o === undefined) {
    const r = sslAlpn(reqBuf(ctx) ?? EMPTY);
    if (typeof r === 'number') return tlsResult(smp, r, false);
    smp.o = r;
    smp.i = 0;
  }
  const names = smp.o as string[];
  if (smp.i >= names.length) return false;
  smp.setStr(names[smp.i++]);
  // HAProxy iterates over the names in ACLs and gives the first one elsewhere
  if (smp.i < names.length) smp.flags |= F_NOT_LAST;
  return true;
});

/* RDP cookie: "Cookie: mstshash=<value>\r\n" after the 11-byte X.224 header */
export function rdpCookie(b: Buffer, name: string): string | number {
  let bleft = b.length;
  if (bleft <= 11) return NEED_MORE;
  let p = 11;
  bleft -= 11;
  if (bleft <= 7) return NEED_MORE;
  if (b.toString('latin1', p, p + 7).toLowerCase() !== 'cookie:') return -1;
  p += 7;
  bleft -= 7;
  while (bleft > 0 && b[p] === 0x20) {
    p++;
    bleft--;
  }
  if (name) {
    if (bleft <= name.length) return NEED_MORE;
    if (b[p + name.length] !== 0x3d || b.toString('latin1', p, p + name.length).toLowerCase() !== name.toLowerCase()) return -1;
    p += name.length + 1;
    bleft -= name.length + 1;
  } else {
    while (bleft > 0 && b[p] !== 0x3d) {
      if (b[p] === 13 || b[p] === 10) return -1;
      p++;
      bleft--;
    }
    if (bleft < 1) return NEED_MORE;
    p++;
    bleft--;
  }
  const start = p;
  while (bleft > 0 && b[p] !== 13) {
    p++;
    bleft--;
  }
  if (bleft < 2) return NEED_MORE;
  if (b[p] !== 13 || b[p + 1] !== 10) return -1;
  return b.toString('latin1', start, p);
}

defFetch(
  ['req.rdp_cookie', 'rdp_cookie'],
  (smp, ctx, a) => {
    const r = rdpCookie(reqBuf(ctx) ?? EMPTY, a[0]);
    return tlsResult(smp, r, true);
  },
  (a) => [a[0] ?? ''],
);
defFetch(
  ['req.rdp_cookie_cnt', 'rdp_cookie_cnt'],
  (smp, ctx, a) => {
    const r = rdpCookie(reqBuf(ctx) ?? EMPTY, a[0]);
    if (r === NEED_MORE) {
      smp.flags |= F_MAY_CHANGE;
      return false;
    }
    return smp.setInt(typeof r === 'string' ? 1 : 0);
  },
  (a) => [a[0] ?? ''],
);

/* distcc */
const NO_BODY = new Set([0x41524743, 0x44495354, 0x4e46494c, 0x53544154, 0x444f4e45]);
function distcc(smp: Sample, b: Buffer, tok: number, occWanted: number, body: boolean): boolean {
  let ofs = 0;
  let occ = 0;
  while (true) {
    if (ofs + 12 > b.length) {
      if (ofs + 12 <= RECV_LIMIT) smp.flags |= F_MAY_CHANGE;
      return false;
    }
    const token = b.readUInt32BE(ofs);
    ofs += 4;
    let param = 0;
    for (let k = 0; k < 8; k++) {
      const c = parseInt(String.fromCharCode(b[ofs + k]), 16);
      if (Number.isNaN(c)) return false;
      param = param * 16 + c;
    }
    ofs += 8;
    const blen = NO_BODY.has(token) ? 0 : param;
    if (token === tok) {
      occ++;
      if (!occWanted || occWanted === occ) {
        if (!body) return smp.setInt(param);
        let end = ofs + blen;
        if (end > b.length) {
          if (end > RECV_LIMIT) {
            smp.flags |= F_MAY_CHANGE;
            end = RECV_LIMIT;
          }
        }
        return smp.setBin(b.subarray(ofs, Math.min(end, b.length)));
      }
    }
    ofs += blen;
  }
}
const distccPrep = (a: string[]) => [Buffer.from((a[0] ?? '').padEnd(4).slice(0, 4), 'latin1').readUInt32BE(0), argInt(a[1])];
defFetch('distcc_param', (smp, ctx, a) => distcc(smp, reqBuf(ctx) ?? EMPTY, a[0], a[1], false), distccPrep);
defFetch('distcc_body', (smp, ctx, a) => distcc(smp, reqBuf(ctx) ?? EMPTY, a[0], a[1], true), distccPrep);


