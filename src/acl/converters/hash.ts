/**
 * Hash and digest converters: crc32, crc32c, djb2, sdbm, wt6, xxh32, xxh64
 * (HAProxy's hash.c / xxhash, bit for bit) and sha1, sha2, digest, hmac
 * through node:crypto. The optional argument of the 32-bit hashes applies
 * HAProxy's full_hash avalanche.
 */
import { createHash, createHmac } from 'node:crypto';
import { argInt, defConv } from '../registry.js';
import { fullHash } from '../fetches/http.js';
import { normInt } from '../types.js';

const CRC32 = new Uint32Array(256);
const CRC32C = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  let d = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    d = d & 1 ? 0x82f63b78 ^ (d >>> 1) : d >>> 1;
  }
  CRC32[n] = c >>> 0;
  CRC32C[n] = d >>> 0;
}

export function crc32(b: Buffer): number {
  let h = 0xffffffff;
  for (let k = 0; k < b.length; k++) h = CRC32[(h ^ b[k]) & 0xff] ^ (h >>> 8);
  return (h ^ 0xffffffff) >>> 0;
}
export function crc32c(b: Buffer): number {
  let h = 0xffffffff;
  for (let k = 0; k < b.length; k++) h = CRC32C[(h ^ b[k]) & 0xff] ^ (h >>> 8);
  return (h ^ 0xffffffff) >>> 0;
}
/** chars are signed in HAProxy's djb2/sdbm (const char *) */
const sc = (c: number) => (c > 127 ? c - 256 : c);
export function djb2(b: Buffer): number {
  let h = 5381;
  for (let k = 0; k < b.length; k++) h = (Math.imul(h, 33) + sc(b[k])) >>> 0;
  return h;
}
export function sdbm(b: Buffer): number {
  let h = 0;
  for (let k = 0; k < b.length; k++) h = (sc(b[k]) + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}
export function wt6(b: Buffer): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let s0 = 6;
  let s1 = 18;
  for (let k = 0; k < b.length; k++) {
    let t = b[k];
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << s0) | (h1 >>> (32 - s0))) >>> 0;
    h1 = ((h0 << s1) | (h0 >>> (32 - s1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    s0 = t & 0x1f;
    s1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

const P32_1 = 2654435761;
const P32_2 = 2246822519;
const P32_3 = 3266489917;
const P32_4 = 668265263;
const P32_5 = 374761393;
const rotl32 = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
export function xxh32(b: Buffer, seed: number): number {
  const len = b.length;
  let p = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P32_1 + P32_2) >>> 0;
    let v2 = (seed + P32_2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P32_1) >>> 0;
    const round = (v: number, x: number) => Math.imul(rotl32((v + Math.imul(x, P32_2)) >>> 0, 13), P32_1) >>> 0;
    while (p + 16 <= len) {
      v1 = round(v1, b.readUInt32LE(p));
      v2 = round(v2, b.readUInt32LE(p + 4));
      v3 = round(v3, b.readUInt32LE(p + 8));
      v4 = round(v4, b.readUInt32LE(p + 12));
      p += 16;
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) >>> 0;
  } else h = (seed + P32_5) >>> 0;
  h = (h + len) >>> 0;
  while (p + 4 <= len) {
    h = Math.imul(rotl32((h + Math.imul(b.readUInt32LE(p), P32_3)) >>> 0, 17), P32_4) >>> 0;
    p += 4;
  }
  while (p < len) {
    h = Math.imul(rotl32((h + Math.imul(b[p], P32_5)) >>> 0, 11), P32_1) >>> 0;
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P32_2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P32_3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const M64 = (1n << 64n) - 1n;
const P64_1 = 11400714785074694791n;
const P64_2 = 14029467366897019727n;
const P64_3 = 1609587929392839161n;
const P64_4 = 9650029242287828579n;
const P64_5 = 2870177450012600261n;
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
function round64(acc: bigint, input: bigint): bigint {
  acc = (acc + input * P64_2) & M64;
  acc = rotl64(acc, 31n);
  return (acc * P64_1) & M64;
}
function merge64(acc: bigint, v: bigint): bigint {
  acc ^= round64(0n, v);
  return (acc * P64_1 + P64_4) & M64;
}
export function xxh64(b: Buffer, seed: bigint): bigint {
  const len = b.length;
  let p = 0;
  let h: bigint;
  seed &= M64;
  if (len >= 32) {
    let v1 = (seed + P64_1 + P64_2) & M64;
    let v2 = (seed + P64_2) & M64;
    let v3 = seed;
    let v4 = (seed - P64_1) & M64;
    while (p + 32 <= len) {
      v1 = round64(v1, b.readBigUInt64LE(p));
      v2 = round64(v2, b.readBigUInt64LE(p + 8));
      v3 = round64(v3, b.readBigUInt64LE(p + 16));
      v4 = round64(v4, b.readBigUInt64LE(p + 24));
      p += 32;
    }
    h = (rotl64(v1, 1n) + rotl64(v2, 7n) + rotl64(v3, 12n) + rotl64(v4, 18n)) & M64;
    h = merge64(h, v1);
    h = merge64(h, v2);
    h = merge64(h, v3);
    h = merge64(h, v4);
  } else h = (seed + P64_5) & M64;
  h = (h + BigInt(len)) & M64;
  while (p + 8 <= len) {
    h ^= round64(0n, b.readBigUInt64LE(p));
    h = (rotl64(h, 27n) * P64_1 + P64_4) & M64;
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= (BigInt(b.readUInt32LE(p)) * P64_1) & M64;
    h = (rotl64(h, 23n) * P64_2 + P64_3) & M64;
    p += 4;
  }
  while (p < len) {
    h ^= (BigInt(b[p]) * P64_5) & M64;
    h = (rotl64(h, 11n) * P64_1) & M64;
    p++;
  }
  h ^= h >> 33n;
  h = (h * P64_2) & M64;
  h ^= h >> 29n;
  h = (h * P64_3) & M64;
  h ^= h >> 32n;
  return h;
}

const avalanche = (a: string[]) => [argInt(a[0]) !== 0];
function hash32(name: string, fn: (b: Buffer) => number): void {
  defConv(name, (smp, _c, a) => smp.setInt(a[0] ? fullHash(fn(smp.v)) : fn(smp.v)), avalanche);
}
hash32('crc32', crc32);
hash32('crc32c', crc32c);
hash32('djb2', djb2);
hash32('sdbm', sdbm);
hash32('wt6', wt6);
defConv(
  'xxh32',
  (smp, _c, a) => smp.setInt(xxh32(smp.v, a[0])),
  (a) => [argInt(a[0]) >>> 0],
);
defConv(
  'xxh64',
  (smp, _c, a) => smp.setInt(normInt(BigInt.asIntN(64, xxh64(smp.v, a[0])))),
  (a) => [BigInt.asUintN(64, BigInt(argInt(a[0])))],
);

defConv('sha1', (smp) => smp.setBin(createHash('sha1').update(smp.v as Buffer).digest()));
defConv(
  'sha2',
  (smp, _c, a) => smp.setBin(createHash(`sha${a[0]}`).update(smp.v as Buffer).digest()),
  (a, env) => {
    const bits = a[0] ? argInt(a[0]) : 256;
    if (![224, 256, 384, 512].includes(bits)) env.warnings.push(`sha2: unsupported number of bits ${bits}`);
    return [[224, 256, 384, 512].includes(bits) ? bits : 256];
  },
);
defConv(
  'digest',
  (smp, _c, a) => {
    try {
      return smp.setBin(createHash(a[0]).update(smp.v as Buffer).digest());
    } catch {
      return false;
    }
  },
  (a) => [(a[0] ?? 'sha256').toLowerCase()],
);
defConv(
  'hmac',
  (smp, _c, a) => {
    try {
      return smp.setBin(createHmac(a[0], a[1]).update(smp.v as Buffer).digest());
    } catch {
      return false;
    }
  },
  (a) => [(a[0] ?? 'sha256').toLowerCase(), Buffer.from(a[1] ?? '', 'base64')],
);
