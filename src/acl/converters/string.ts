/** String converters (7.3.1): case, fields, words, trimming, regsub, concatenation, encodings. */
import { argInt, defConv, type CompileEnv } from '../registry.js';
import { T, lowerAscii, upperAscii, sampleToString, Sample, cast } from '../types.js';
import { compileRegex } from '../match.js';
import { parseVarName } from '../fetches/util.js';
import { readVar } from '../fetches/internal.js';
import type { SampleContext } from '../context.js';

defConv('lower', (smp) => smp.setStr(lowerAscii(smp.v)));
defConv('upper', (smp) => smp.setStr(upperAscii(smp.v)));
defConv('length', (smp) => smp.setInt((smp.v as string).length));
defConv('cut_crlf', (smp) => {
  const s = smp.v as string;
  let k = 0;
  while (k < s.length && s[k] !== '\r' && s[k] !== '\n') k++;
  return smp.setStr(s.slice(0, k));
});
defConv(
  'ltrim',
  (smp, _c, a) => {
    const s = smp.v as string;
    let k = 0;
    while (k < s.length && a[0].includes(s[k])) k++;
    return smp.setStr(s.slice(k));
  },
  (a) => [a[0] ?? ''],
);
defConv(
  'rtrim',
  (smp, _c, a) => {
    const s = smp.v as string;
    let k = s.length;
    while (k > 0 && a[0].includes(s[k - 1])) k--;
    return smp.setStr(s.slice(0, k));
  },
  (a) => [a[0] ?? ''],
);

/* bytes(offset[,length]) works on binary input */
defConv(
  'bytes',
  (smp, _c, a) => {
    const b = smp.v as Buffer;
    if (b.length <= a[0]) return smp.setBin(b.subarray(0, 0));
    const rest = b.subarray(a[0]);
    return smp.setBin(a[1] !== undefined && a[1] < rest.length ? rest.subarray(0, a[1]) : rest);
  },
  (a) => [argInt(a[0]), a[1] !== undefined && a[1] !== '' ? argInt(a[1]) : undefined],
);

/** field(index,separators[,count]) as sample_conv_field. */
export function field(s: string, idx: number, seps: string, count: number): string | undefined {
  if (!idx) return undefined;
  if (idx < 0) {
    let f = -1;
    let start = s.length;
    let end = s.length;
    while (start > 0) {
      if (seps.includes(s[start - 1])) {
        if (f === idx) {
          if (count === 1) return s.slice(start, end);
          if (count > 1) count--;
        } else {
          end = start - 1;
          f--;
        }
      }
      start--;
    }
    return f === idx ? s.slice(start, end) : undefined;
  }
  let f = 1;
  let start = 0;
  let end = 0;
  while (end < s.length) {
    if (seps.includes(s[end])) {
      if (f === idx) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      } else {
        start = end + 1;
        f++;
      }
    }
    end++;
  }
  return f === idx ? s.slice(start, end) : undefined;
}
defConv(
  'field',
  (smp, _c, a) => {
    const v = field(smp.v, a[0], a[1], a[2]);
    return v === undefined ? false : smp.setStr(v);
  },
  (a) => [argInt(a[0]), a[1] ?? '', a[2] !== undefined && a[2] !== '' ? argInt(a[2]) : 1],
);

/** word(index,separators[,count]) as sample_conv_word: empty words are skipped. */
export function word(s: string, idx: number, seps: string, count: number): string | undefined {
  if (!idx) return undefined;
  let w = 0;
  let inword = false;
  if (idx < 0) {
    let start = s.length;
    let end = s.length;
    while (start > 0) {
      const sep = seps.includes(s[start - 1]);
      if (!inword) {
        if (!sep) {
          if (w !== idx) {
            w--;
            end = start;
          }
          inword = true;
        }
      } else if (sep) {
        if (w === idx) {
          if (count === 1) return s.slice(start, end);
          if (count > 1) count--;
        }
        inword = false;
      }
      start--;
    }
    return w === idx ? s.slice(start, end) : '';
  }
  let start = 0;
  let end = 0;
  while (end < s.length) {
    const sep = seps.includes(s[end]);
    if (!inword) {
      if (!sep) {
        if (w !== idx) {
          w++;
          start = end;
        }
        inword = true;
      }
    } else if (sep) {
      if (w === idx) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      }
      inword = false;
    }
    end++;
  }
  return w === idx ? s.slice(start, end) : '';
}
defConv(
  'word',
  (smp, _c, a) => {
    const v = word(smp.v, a[0], a[1], a[2]);
    return v === undefined ? false : smp.setStr(v);
  },
  (a) => [argInt(a[0]), a[1] ?? '', a[2] !== undefined && a[2] !== '' ? argInt(a[2]) : 1],
);

/** exp_replace: \0-\9 back-references in the replacement. */
function expand(rep: string, m: RegExpExecArray): string {
  let out = '';
  for (let k = 0; k < rep.length; k++) {
    const c = rep[k];
    if (c === '\\' && k + 1 < rep.length) {
      const d = rep[k + 1];
      if (d >= '0' && d <= '9') {
        out += m[Number(d)] ?? '';
        k++;
        continue;
      }
      if (d === '\\') {
        out += '\\';
        k++;
        continue;
      }
    }
    out += c;
  }
  return out;
}
defConv(
  'regsub',
  (smp, _c, a) => {
    const s = smp.v as string;
    const re = a[0] as RegExp;
    const glob: boolean = a[2];
    re.lastIndex = 0;
    let out = '';
    let pos = 0;
    let first = true;
    while (pos <= s.length) {
      if (!first && !glob) break;
      re.lastIndex = pos;
      const m = re.exec(s);
      if (!m || (!first && m.index === 0 && re.source.startsWith('^'))) break;
      out += s.slice(pos, m.index) + expand(a[1], m);
      const end = m.index + m[0].length;
      if (m[0].length === 0) {
        if (end < s.length) out += s[end];
        pos = end + 1;
      } else pos = end;
      first = false;
    }
    if (pos < s.length) out += s.slice(pos);
    return smp.setStr(out);
  },
  (a, env) => {
    const flags = a[2] ?? '';
    let re: RegExp;
    try {
      re = compileRegex(a[0] ?? '', flags.includes('i'));
      re = new RegExp(re.source, re.flags + 'g');
    } catch (e) {
      env.warnings.push(`regsub: invalid regex '${a[0]}'`);
      re = /(?!)/g;
    }
    return [re, a[1] ?? '', flags.includes('g')];
  },
);

/** A string argument, or a variable when the text names one (sample_conv_var2smp_str). */
export function prepStrOrVar(s: string | undefined, allowVar = true): { s?: string; v?: [any, string] } {
  if (s === undefined) return { s: '' };
  const v = allowVar ? parseVarName(s) : undefined;
  return v ? { v } : { s };
}
export function strArg(ctx: SampleContext, a: { s?: string; v?: [any, string] }): string | undefined {
  if (a.s !== undefined) return a.s;
  const val = readVar(ctx, a.v![0], a.v![1]);
  if (!val) return undefined;
  const t = new Sample();
  t.t = val.t;
  t.v = val.v;
  return cast(t, T.STR) ? t.v : undefined;
}

defConv(
  'concat',
  (smp, ctx, a) => {
    let out = (smp.v as string) + a[0];
    if (a[1]) {
      const v = readVar(ctx, a[1][0], a[1][1]);
      if (v) {
        const t = new Sample();
        t.t = v.t;
        t.v = v.v;
        const s = sampleToString(t);
        if (s !== undefined) out += s;
      }
    }
    return smp.setStr(out + a[2]);
  },
  (a) => [a[0] ?? '', a[1] ? parseVarName(a[1]) : undefined, a[2] ?? ''],
);

defConv(
  'add_item',
  (smp, ctx, a) => {
    const cur = smp.v as string;
    let item: string | undefined;
    if (a[1]) {
      const v = readVar(ctx, a[1][0], a[1][1]);
      if (v) {
        const t = new Sample();
        t.t = v.t;
        t.v = v.v;
        item = sampleToString(t);
      }
    }
    const suff: string = a[2];
    if (item === undefined && !suff) return smp.setStr(cur);
    const add = (item ?? '') + suff;
    return smp.setStr(cur.length ? cur + a[0] + add : add);
  },
  (a) => [a[0] ?? '', a[1] ? parseVarName(a[1]) : undefined, a[2] ?? ''],
);

defConv(
  'strcmp',
  (smp, ctx, a) => {
    if (!a[0]) return false;
    const v = readVar(ctx, a[0][0], a[0][1]);
    if (!v) return false;
    const t = new Sample();
    t.t = v.t;
    t.v = v.v;
    if (!cast(t, T.STR)) return false;
    const x = smp.v as string;
    const y = t.v as string;
    const n = Math.min(x.length, y.length);
    let r = 0;
    for (let k = 0; k < n && !r; k++) r = x.charCodeAt(k) - y.charCodeAt(k);
    // strncmp stops at a NUL byte
    if (!r && x.length !== y.length) r = x.length < y.length ? -1 : 1;
    return smp.setInt(r);
  },
  (a) => [parseVarName(a[0] ?? '')],
);

defConv(
  'secure_memcmp',
  (smp, ctx, a) => {
    if (!a[0]) return false;
    const v = readVar(ctx, a[0][0], a[0][1]);
    if (!v) return false;
    const t = new Sample();
    t.t = v.t;
    t.v = v.v;
    if (!cast(t, T.BIN)) return false;
    const x = smp.v as Buffer;
    const y = t.v as Buffer;
    return smp.setBool(x.length === y.length && x.equals(y));
  },
  (a) => [parseVarName(a[0] ?? '')],
);

defConv(
  'iif',
  (smp, _c, a) => smp.setStr(smp.v ? a[0] : a[1]),
  (a) => [a[0] ?? '', a[1] ?? ''],
);

/* encodings */
defConv('base64', (smp) => smp.setStr((smp.v as Buffer).toString('base64')));
defConv('ub64enc', (smp) => smp.setStr((smp.v as Buffer).toString('base64url')));
function b64dec(s: string, url: boolean): Buffer | undefined {
  if (url) {
    if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
    return Buffer.from(s, 'base64url');
  }
  if (s.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}
defConv('b64dec', (smp) => {
  const b = b64dec(smp.v, false);
  return b ? smp.setBin(b) : false;
});
defConv('ub64dec', (smp) => {
  const b = b64dec(smp.v, true);
  return b ? smp.setBin(b) : false;
});
defConv('hex', (smp) => smp.setStr((smp.v as Buffer).toString('hex').toUpperCase()));
defConv('hex2i', (smp) => {
  const s = smp.v as string;
  if (!/^[0-9a-fA-F]*$/.test(s)) return false;
  let n = 0n;
  for (const c of s) n = BigInt.asIntN(64, (n << 4n) + BigInt(parseInt(c, 16)));
  return smp.setInt(n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n);
});

/** url_dec([in_form]): %XX, and '+' as space in the query part (or everywhere with in_form 1). */
export function urlDecode(s: string, inForm: boolean): string | undefined {
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c === '\0') break;
    if (c === '%') {
      const h = s.slice(k + 1, k + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(parseInt(h, 16));
      k += 2;
      continue;
    }
    if (c === '+') {
      out += inForm ? ' ' : '+';
      continue;
    }
    if (c === '?') inForm = true;
    out += c;
  }
  return out;
}
defConv(
  'url_dec',
  (smp, _c, a) => {
    const v = urlDecode(smp.v, a[0]);
    return v === undefined ? false : smp.setStr(v);
  },
  (a) => [argInt(a[0]) !== 0],
);
/** url_enc([query]): every byte outside the unreserved set of a query component as %XX. */
defConv(
  'url_enc',
  (smp) => {
    const s = smp.v as string;
    let out = '';
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      const keep = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
      out += keep ? s[k] : '%' + c.toString(16).toUpperCase().padStart(2, '0');
    }
    return smp.setStr(out);
  },
  (a) => [a[0] ?? 'query'],
);

/** json([input-code]): escapes for a JSON string. */
defConv(
  'json',
  (smp, _c, a) => {
    const mode: string = a[0];
    let src: number[];
    const s = smp.v as string;
    if (mode === 'ascii') src = Array.from(s, (c) => c.charCodeAt(0));
    else {
      src = [];
      const b = Buffer.from(s, 'latin1');
      let k = 0;
      while (k < b.length) {
        const r = utf8Next(b, k);
        k += r.len;
        if (!r.ok) {
          if (mode === 'utf8' || mode === 'utf8p') return false;
          continue;
        }
        if (r.cp > 0xffff) {
          if (mode === 'utf8' || mode === 'utf8p') return false;
          continue;
        }
        src.push(r.cp);
      }
    }
    let out = '';
    for (const c of src) {
      if (c === 34) out += '\\"';
      else if (c === 92) out += '\\\\';
      else if (c === 47) out += '\\/';
      else if (c === 8) out += '\\b';
      else if (c === 12) out += '\\f';
      else if (c === 13) out += '\\r';
      else if (c === 10) out += '\\n';
      else if (c === 9) out += '\\t';
      else if (c > 0xff || c < 0x20 || c >= 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += String.fromCharCode(c);
    }
    return smp.setStr(out);
  },
  (a) => [a[0] || 'ascii'],
);
function utf8Next(b: Buffer, k: number): { cp: number; len: number; ok: boolean } {
  const c = b[k];
  if (c < 0x80) return { cp: c, len: 1, ok: true };
  const n = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (!n || k + n > b.length) return { cp: 0, len: 1, ok: false };
  let cp = c & (0x7f >> n);
  for (let i = 1; i < n; i++) {
    if ((b[k + i] & 0xc0) !== 0x80) return { cp: 0, len: i, ok: false };
    cp = (cp << 6) | (b[k + i] & 0x3f);
  }
  return { cp, len: n, ok: true };
}

/* HTTP helpers */
defConv('host_only', (smp) => {
  const s = smp.v as string;
  if (s.startsWith('[')) {
    const e = s.indexOf(']');
    return smp.setStr(e < 0 ? s : s.slice(0, e + 1));
  }
  const c = s.indexOf(':');
  return smp.setStr(c < 0 ? s : s.slice(0, c));
});
defConv('port_only', (smp) => {
  const s = smp.v as string;
  const e = s.startsWith('[') ? s.indexOf(']') : -1;
  const c = s.indexOf(':', e < 0 ? 0 : e);
  if (c < 0) return smp.setInt(0);
  const p = s.slice(c + 1);
  return smp.setInt(/^\d+$/.test(p) ? Number(p) : 0);
});

/** language(<list>[,<default>]): the best Accept-Language match from a ';'-separated list. */
defConv(
  'language',
  (smp, _c, a) => {
    const langs: string[] = a[0];
    let best: string | undefined;
    let bestQ = -1;
    for (const part of (smp.v as string).split(',')) {
      const [tagRaw, ...params] = part.trim().split(';');
      const tag = tagRaw.trim();
      let q = 1;
      for (const p of params) {
        const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
        if (m) q = Number(m[1]);
      }
      if (q <= bestQ) continue;
      for (const l of langs) {
        if (tag === '*' || l === tag || (l.startsWith(tag) && l[tag.length] === '-')) {
          best = l;
          bestQ = q;
          break;
        }
      }
    }
    if (best === undefined) return a[1] !== undefined ? smp.setStr(a[1]) : false;
    return smp.setStr(best);
  },
  (a) => [(a[0] ?? '').split(';').filter((x) => x), a[1]],
);

/* dates */
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');
defConv(
  'http_date',
  (smp, _c, a) => {
    const unit: string = a[1];
    let t = Number(smp.v) + a[0];
    let ms = 0;
    if (unit === 'ms') {
      ms = t % 1000;
      t = Math.floor(t / 1000);
    } else if (unit === 'us') {
      ms = Math.floor((t % 1000000) / 1000);
      t = Math.floor(t / 1000000);
    }
    void ms;
    const d = new Date(t * 1000);
    return smp.setStr(
      `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`,
    );
  },
  (a) => [argInt(a[0]), a[1] ?? 's'],
);

/** A small strftime for ltime/utime. */
export function strftime(fmt: string, d: Date, utc: boolean): string {
  const g = {
    Y: utc ? d.getUTCFullYear() : d.getFullYear(),
    m: (utc ? d.getUTCMonth() : d.getMonth()) + 1,
    d: utc ? d.getUTCDate() : d.getDate(),
    H: utc ? d.getUTCHours() : d.getHours(),
    M: utc ? d.getUTCMinutes() : d.getMinutes(),
    S: utc ? d.getUTCSeconds() : d.getSeconds(),
    w: utc ? d.getUTCDay() : d.getDay(),
  };
  return fmt.replace(/%([a-zA-Z%])/g, (_m, c: string) => {
    switch (c) {
      case 'Y':
        return String(g.Y);
      case 'y':
        return p2(g.Y % 100);
      case 'm':
        return p2(g.m);
      case 'd':
        return p2(g.d);
      case 'e':
        return String(g.d).padStart(2, ' ');
      case 'H':
        return p2(g.H);
      case 'M':
        return p2(g.M);
      case 'S':
        return p2(g.S);
      case 'a':
        return DAYS[g.w];
      case 'b':
      case 'h':
        return MONTHS[g.m - 1];
      case 's':
        return String(Math.floor(d.getTime() / 1000));
      case 'z': {
        const off = utc ? 0 : -d.getTimezoneOffset();
        return (off < 0 ? '-' : '+') + p2(Math.floor(Math.abs(off) / 60)) + p2(Math.abs(off) % 60);
      }
      case 'Z':
        return utc ? 'GMT' : (Intl.DateTimeFormat('en', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '');
      case 'T':
        return `${p2(g.H)}:${p2(g.M)}:${p2(g.S)}`;
      case 'F':
        return `${g.Y}-${p2(g.m)}-${p2(g.d)}`;
      case 'j': {
        const start = utc ? Date.UTC(g.Y, 0, 1) : new Date(g.Y, 0, 1).getTime();
        return String(Math.floor((d.getTime() - start) / 86400000) + 1).padStart(3, '0');
      }
      case '%':
        return '%';
      default:
        return '%' + c;
    }
  });
}
for (const [name, utc] of [
  ['ltime', false],
  ['utime', true],
] as const) {
  defConv(
    name,
    (smp, _c, a) => {
      let t = Number(BigInt.asIntN(64, BigInt(smp.v)) & 0x007fffffffffffffn) + a[1];
      return smp.setStr(strftime(a[0], new Date(t * 1000), utc));
    },
    (a) => [a[0] ?? '', argInt(a[1])],
  );
}

export function prepNothing(_a: string[], _e: CompileEnv): any[] {
  return [];
}
