import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLinesWithGrammar, parseWithGrammar } from '../../grammar/parser.js';
import { splitLines } from '../../grammar/scanner.js';
import { expandLine } from '../../src/parser/words.js';

function words(line: string, env: Record<string, string> = {}) {
  const [raw] = splitLines(line + '\n');
  return expandLine(raw, { getenv: (n) => env[n], file: 'f.cfg', section: 'global' });
}

test('quotes do not split words and keep blanks and hashes', () => {
  assert.deepEqual(words(`a "b c" d'e f'g "#x"`).args, ['a', 'b c', "de fg", '#x']);
});

test('an unquoted hash starts a comment even inside a word', () => {
  assert.deepEqual(words('maxconn 10#comment here').args, ['maxconn', '10']);
});

test('backslash escapes follow HAProxy: space, hash, quotes, hex; unknown ones stay', () => {
  assert.deepEqual(words('a\\ b \\# \\x41 a\\qb').args, ['a b', '#', 'A', 'a\\qb']);
});

test('environment variables expand only inside double quotes', () => {
  const r = words(`x $HOME "$HOME/y" '$HOME' "\${V-def}" "\${NOPE-dflt}"`, { HOME: '/root', V: 'v' });
  assert.deepEqual(r.args, ['x', '$HOME', '/root/y', '$HOME', 'v', 'dflt']);
});

test('an unset variable in quotes makes the word vanish and ends the arguments', () => {
  assert.deepEqual(words('set-header X "${NOPE}" after').args, ['set-header', 'X']);
});

test('the [*] suffix splits a variable into several words', () => {
  assert.deepEqual(words('.notice "${X[*]}"', { X: 'a  b' }).args, ['.notice', 'a', 'b']);
});

test('errors carry HAProxy 1-based positions in the raw line', () => {
  assert.equal(words('  maxconn "1').error?.position, 11);
  assert.equal(words('  maxconn "${1A}"').error?.position, 14);
  assert.equal(words('  maxconn "\\xZZ"').error?.position, 12);
  assert.equal(words('  maxconn "${A[x]}"').error?.position, 15);
  assert.equal(words('  maxconn "${A"').error?.position, 13);
});

test('more than 64 words is an error naming the 64th word', () => {
  const line = Array.from({ length: 70 }, (_, i) => `w${i}`).join(' ');
  assert.match(words(line).error!.message, /^too many words, truncating after word 64, position \d+: <w63>\.$/);
});

test('CR ends a line and whatever follows it up to LF is ignored', () => {
  const lines = splitLines('global\r\n  maxconn 10\rjunk here\n');
  assert.deepEqual(lines.map((l) => l.words), [['global'], ['maxconn', '10']]);
});

test('a last line without LF is reported as unterminated', () => {
  const lines = splitLines('global\n  daemon');
  assert.equal(lines.length, 2);
  assert.equal(lines[1].terminated, false);
  assert.equal(splitLines('global\n').length, 1);
});

test('the Chevrotain grammar and the single-pass scanner agree', () => {
  const text = 'global\n  log 127.0.0.1 local0 # c\n\n frontend "a b" x\\ y\n';
  assert.deepEqual(parseWithGrammar(text), splitLines(text).map((l) => l.words));
});

/** The fields the grammar defines (the scanner's `special` is a hint of its own). */
function shape(text: string, split: typeof splitLines) {
  return split(text).map((l) => ({ line: l.line, words: l.words, columns: l.columns, text: l.text, terminated: l.terminated }));
}

test('the Chevrotain lexer and grammar and the single-pass scanner give the same lines on random texts', () => {
  const alphabet = ' \t\v"\'\\#x$\r\n{}a\0';
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let n = 0; n < 20000; n++) {
    let s = '';
    const len = Math.floor(rnd() * 24);
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    assert.deepEqual(shape(s, splitLines), shape(s, splitLinesWithGrammar), JSON.stringify(s));
  }
});
