/**
 * crypt(3) for `userlist` passwords (HAProxy calls the C library's crypt()).
 * Node has none, so the common schemes are implemented here:
 *  - `$1$`  MD5-crypt (Poul-Henning Kamp's scheme),
 *  - `$5$` / `$6$` SHA-256 / SHA-512 crypt (Ulrich Drepper's specification),
 *    with the optional `rounds=N$` parameter.
 * Checked against `openssl passwd -1 / -5 / -6`. Other schemes (DES,
 * bcrypt, yescrypt) are reported as unsupported and never match.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(v: number, n: number): string {
  let s = '';
  while (n-- > 0) {
    s += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return s;
}

/* ---- MD5-crypt ------------------------------------------------------------------ */

function md5crypt(pw: Buffer, setting: string): string {
  const magic = '$1$';
  let salt = setting.slice(magic.length);
  const d = salt.indexOf('$');
  if (d >= 0) salt = salt.slice(0, d);
  salt = salt.slice(0, 8);
  const sb = Buffer.from(salt, 'latin1');
  const alt = createHash('md5').update(pw).update(sb).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(sb);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(alt.subarray(0, Math.min(pl, 16)));
  const zero = Buffer.from([0]);
  const first = pw.subarray(0, 1);
  for (let i = pw.length; i; i >>>= 1) ctx.update(i & 1 ? zero : first.length ? first : zero);
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    if (i & 1) c.update(pw);
    else c.update(f);
    if (i % 3) c.update(sb);
    if (i % 7) c.update(pw);
    if (i & 1) c.update(f);
    else c.update(pw);
    f = c.digest();
  }
  let out = magic + salt + '$';
  out += to64((f[0] << 16) | (f[6] << 8) | f[12], 4);
  out += to64((f[1] << 16) | (f[7] << 8) | f[13], 4);
  out += to64((f[2] << 16) | (f[8] << 8) | f[14], 4);
  out += to64((f[3] << 16) | (f[9] << 8) | f[15], 4);
  out += to64((f[4] << 16) | (f[10] << 8) | f[5], 4);
  out += to64(f[11], 2);
  return out;
}

/* ---- SHA-crypt -------------------------------------------------------------------- */

const ORDER256: [number, number, number][] = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];
const ORDER512: [number, number, number][] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

/** `count` bytes of `src` repeated */
function repeatTo(src: Buffer, count: number): Buffer {
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i += src.length) src.copy(out, i, 0, Math.min(src.length, count - i));
  return out;
}

function shacrypt(pw: Buffer, setting: string, id: '5' | '6'): string {
  const algo = id === '5' ? 'sha256' : 'sha512';
  const L = id === '5' ? 32 : 64;
  let rest = setting.slice(3);
  let rounds = 5000;
  let custom = false;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Math.min(999999999, Math.max(1000, Number(m[1])));
    custom = true;
    rest = rest.slice(m[0].length);
  }
  const d = rest.indexOf('$');
  const salt = (d >= 0 ? rest.slice(0, d) : rest).slice(0, 16);
  const sb = Buffer.from(salt, 'latin1');
  const H = () => createHash(algo);

  const B = H().update(pw).update(sb).update(pw).digest();
  const a = H().update(pw).update(sb);
  let cnt = pw.length;
  for (; cnt > L; cnt -= L) a.update(B);
  a.update(B.subarray(0, cnt));
  for (cnt = pw.length; cnt > 0; cnt >>>= 1) a.update(cnt & 1 ? B : pw);
  const A = a.digest();

  const dp = H();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const P = repeatTo(dp.digest(), pw.length);
  const ds = H();
  for (let i = 0; i < 16 + A[0]; i++) ds.update(sb);
  const S = repeatTo(ds.digest(), sb.length);

  let C = A;
  for (let i = 0; i < rounds; i++) {
    const c = H();
    if (i & 1) c.update(P);
    else c.update(C);
    if (i % 3) c.update(S);
    if (i % 7) c.update(P);
    if (i & 1) c.update(C);
    else c.update(P);
    C = c.digest();
  }
  let out = `$${id}$` + (custom ? `rounds=${rounds}$` : '') + salt + '$';
  for (const [x, y, z] of id === '5' ? ORDER256 : ORDER512) out += to64((C[x] << 16) | (C[y] << 8) | C[z], 4);
  out += id === '5' ? to64((C[31] << 8) | C[30], 3) : to64(C[63], 2);
  return out;
}

/** crypt(pw, setting), or undefined when the scheme is not supported. */
export function crypt(pw: string, setting: string): string | undefined {
  const p = Buffer.from(pw, 'latin1');
  if (setting.startsWith('$1$')) return md5crypt(p, setting);
  if (setting.startsWith('$5$')) return shacrypt(p, setting, '5');
  if (setting.startsWith('$6$')) return shacrypt(p, setting, '6');
  return undefined;
}

export function cryptSupported(hash: string): boolean {
  return hash.startsWith('$1$') || hash.startsWith('$5$') || hash.startsWith('$6$');
}

const verified = new Map<string, boolean>();

/** true when `pw` matches the crypt(3) `hash` (results are cached: these hashes are slow on purpose). */
export function cryptCheck(pw: string, hash: string): boolean {
  const key = hash + '\u0000' + pw;
  const hit = verified.get(key);
  if (hit !== undefined) return hit;
  const got = crypt(pw, hash);
  const ok = got !== undefined && got.length === hash.length && timingSafeEqual(Buffer.from(got, 'latin1'), Buffer.from(hash, 'latin1'));
  if (verified.size > 1024) verified.clear();
  verified.set(key, ok);
  return ok;
}
