/** HAProxy's hash functions, against values HAProxy 2.6's converters produced (test/fixtures/lb/hash-values.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fullHash, hashCrc32, hashCrc32c, hashDjb2, hashSdbm, hashWt6 } from '../../src/runtime/lb/hash.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'lb', 'hash-values.json');
const recorded = JSON.parse(readFileSync(FILE, 'utf8')).values as Record<string, Record<string, number>>;

const fns = { sdbm: hashSdbm, djb2: hashDjb2, wt6: hashWt6, crc32: hashCrc32 };

test('sdbm, djb2, wt6 and crc32 give the values HAProxy computes, with and without avalanche', () => {
  assert.ok(Object.keys(recorded).length >= 10);
  for (const [hex, v] of Object.entries(recorded)) {
    const key = Buffer.from(hex, 'hex');
    for (const [name, fn] of Object.entries(fns)) {
      assert.equal(fn(key), v[name], `${name}(${hex})`);
      assert.equal(fullHash(fn(key)), v[`${name}_avalanche`], `${name}(${hex}) avalanche`);
    }
    assert.equal(hashCrc32c(key), v.crc32c, `crc32c(${hex})`);
  }
});

test('bytes above 0x7f count as unsigned bytes and strings are taken as latin1', () => {
  assert.equal(hashSdbm('caf\u00e9'), hashSdbm(Buffer.from([0x63, 0x61, 0x66, 0xe9])));
  assert.equal(hashWt6('\u00ff\u00fe'), hashWt6(Buffer.from([0xff, 0xfe])));
});

test('a hash over part of a buffer equals the hash of that part', () => {
  const b = Buffer.from('xxhelloyy');
  assert.equal(hashDjb2(b, 2, 7), hashDjb2('hello'));
  assert.equal(hashCrc32(b, 2, 7), hashCrc32('hello'));
});

test('the empty key hashes to each function initial value', () => {
  assert.equal(hashSdbm(''), 0);
  assert.equal(hashDjb2(''), 5381);
  assert.equal(hashCrc32(''), 0);
  assert.equal(hashWt6(''), (0xa53c965a ^ 0x5ca6953a) >>> 0);
});

test('full_hash spreads consecutive integers over the 32-bit space', () => {
  const a = fullHash(16);
  const b = fullHash(17);
  assert.notEqual(a, b);
  for (const x of [0, 1, 0xffffffff, 4096 * 3 + 5]) {
    const h = fullHash(x);
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
  }
});
