/**
 * HAProxy's hash functions (hash.c) and its integer avalanche (full_hash),
 * on unsigned 32-bit values. Inputs are bytes; strings are taken as latin1
 * so every char code below 256 is one byte, as HAProxy sees header bytes.
 */

export type HashInput = Uint8Array | string;

/**
 * Strings are read char by char (latin1: the low byte of each code) so the
 * per-request keys (URIs, header values) need no Buffer.
 */
function at(input: HashInput, i: number): number {
  return typeof input === 'string' ? input.charCodeAt(i) & 0xff : input[i];
}

/** sdbm: h = c + (h << 6) + (h << 16) - h */
export function hashSdbm(input: HashInput, start = 0, end?: number): number {
  const e = end ?? input.length;
  let h = 0;
  for (let i = start; i < e; i++) h = (at(input, i) + (h << 6) + (h << 16) - h) | 0;
  return h >>> 0;
}

/** djb2: h = h * 33 + c, from 5381 */
export function hashDjb2(input: HashInput, start = 0, end?: number): number {
  const e = end ?? input.length;
  let h = 5381;
  for (let i = start; i < e; i++) h = ((h << 5) + h + at(input, i)) | 0;
  return h >>> 0;
}

/**
 * wt6, HAProxy's own. The rotations may be by 0 bits: C's `x >> 32` is masked
 * to `x >> 0` on x86, and so is JavaScript's `>>> 32`, so both agree.
 */
export function hashWt6(input: HashInput, start = 0, end?: number): number {
  const e = end ?? input.length;
  let h0 = 0xa53c965a | 0;
  let h1 = 0x5ca6953a | 0;
  let step0 = 6;
  let step1 = 18;
  for (let i = start; i < e; i++) {
    const c = at(input, i);
    h0 = ~(h0 ^ c);
    h1 = ~((h1 + c) | 0);
    const t = (h1 << step0) | (h1 >>> (32 - step0));
    h1 = (h0 << step1) | (h0 >>> (32 - step1));
    h0 = t;
    const u = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = u & 0x1f;
    step1 = u >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** the usual CRC32 (Ethernet, gzip) */
export function hashCrc32(input: HashInput, start = 0, end?: number): number {
  const e = end ?? input.length;
  let c = 0xffffffff;
  for (let i = start; i < e; i++) c = CRC32_TABLE[(c ^ at(input, i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32c (Castagnoli), used by the PROXY protocol v2 CRC TLV */
export function hashCrc32c(input: HashInput, start = 0, end?: number): number {
  const e = end ?? input.length;
  let c = 0xffffffff;
  for (let i = start; i < e; i++) c = CRC32C_TABLE[(c ^ at(input, i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * full_hash: one of Bob Jenkins' integer avalanche functions followed by a
 * multiplication by a large prime, so consecutive inputs land far apart on
 * the consistent-hash ring.
 */
export function fullHash(x: number): number {
  let a = x | 0;
  a = (a + 0x7ed55d16 + (a << 12)) | 0;
  a = a ^ 0xc761c23c ^ (a >>> 19);
  a = (a + 0x165667b1 + (a << 5)) | 0;
  a = ((a + 0xd3a2646c) | 0) ^ (a << 9);
  a = (a + 0xfd7046c5 + (a << 3)) | 0;
  a = a ^ 0xb55a4f09 ^ (a >>> 16);
  return Math.imul(a, 3221225473 | 0) >>> 0;
}

export type HashFunction = 'sdbm' | 'djb2' | 'wt6' | 'crc32';

export const HASH_FUNCTIONS: Record<HashFunction, (input: HashInput, start?: number, end?: number) => number> = {
  sdbm: hashSdbm,
  djb2: hashDjb2,
  wt6: hashWt6,
  crc32: hashCrc32,
};
