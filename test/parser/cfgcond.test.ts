import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalCondition, compareVersions, CondError } from '../../src/parser/cfgcond.js';

const env = { getenv: (n: string) => ({ A: '1', E: '' } as Record<string, string>)[n], features: new Set(['OPENSSL', 'LUA']), version: '2.6.12' };

test('integers, predicates and negation evaluate as HAProxy documents', () => {
  assert.equal(evalCondition('1', env), true);
  assert.equal(evalCondition('0', env), false);
  assert.equal(evalCondition('', env), false);
  assert.equal(evalCondition('defined(A)', env), true);
  assert.equal(evalCondition('defined(E)', env), true);
  assert.equal(evalCondition('defined(Z)', env), false);
  assert.equal(evalCondition('!feature(QUIC)', env), true);
  assert.equal(evalCondition('streq(a,a) && strneq(a,b)', env), true);
});

test('AND binds tighter than OR and parentheses group', () => {
  assert.equal(evalCondition('0 && 1 || 1', env), true);
  assert.equal(evalCondition('0 && (1 || 1)', env), false);
  assert.equal(evalCondition('feature(OPENSSL) && (streq("x",y) || 1)', env), true);
});

test('version predicates compare dotted versions and dev releases', () => {
  assert.equal(evalCondition('version_atleast(2.4-dev19)', env), true);
  assert.equal(evalCondition('version_atleast(2.6.13)', env), false);
  assert.equal(evalCondition('version_before(2.7)', env), true);
  assert.ok(compareVersions('2.6-dev1', '2.6') < 0);
});

test('the TLS library predicates of 2.6.12 are known', () => {
  assert.equal(evalCondition('openssl_version_atleast(1.1.1)', env), true);
  assert.equal(evalCondition('!ssllib_name_startswith(AWS-LC)', env), true);
});

test('an unknown predicate is an error with its position', () => {
  assert.throws(() => evalCondition('1 && nope(x)', env), (e: unknown) => e instanceof CondError && e.pos === 5);
});
