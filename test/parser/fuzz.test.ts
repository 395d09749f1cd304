/**
 * The parser never throws and never hangs: random and mutated configurations
 * (mutations of the shared corpus when it is there, of built-in samples
 * otherwise) each yield diagnostics or a model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../src/parser/reader.js';
import { checkValidity } from '../../src/config/check.js';
import type { ParseOptions } from '../../src/config/registry.js';
import { corpusDir } from '../corpus/conformance.js';
import { splitLines } from '../../grammar/scanner.js';
import { splitLinesWithGrammar } from '../../grammar/parser.js';

/** The lines as the grammar defines them (the scanner's `special` hint left out). */
function shape(lines: ReturnType<typeof splitLines>) {
  return lines.map((l) => ({ line: l.line, words: l.words, columns: l.columns, text: l.text, terminated: l.terminated }));
}

const opts: ParseOptions = {
  strict: false, version: '2.6.12', getenv: (n) => (n === 'SET' ? 'a b' : undefined), localPeer: 'vm',
  ignoreResolveErrors: true, masterWorker: false, supportWarnings: true,
};

/** A small deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  'global\n  maxconn 100\n  log 127.0.0.1 local0\n',
  'defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n',
  'frontend fe\n  bind :8080\n  acl a path_beg /x\n  use_backend b if a\n  default_backend b\n',
  'backend b\n  balance roundrobin\n  server s1 127.0.0.1:80 check weight 10\n  cookie SRV insert\n',
  'listen li 0.0.0.0:80\n  contimeout 5000\n  reqrep ^Host:\\ x Host:\\ y\n',
  '.if defined(SET)\n  .notice "${SET}"\n.elif 1\n.else\n.endif\n',
  'userlist u\n  user a password x\npeers p\n  peer vm 127.0.0.1:1000\n',
  'frontend f\n  http-request set-header X "${SET[*]}" if { hdr(host) -i a }\n  tcp-request content accept if { req_ssl_hello_type 1 }\n',
];

function corpusTexts(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.cfg') && out.length < 2000) out.push(readFileSync(p, 'latin1'));
    }
  };
  if (existsSync(corpusDir)) walk(corpusDir);
  return out.length ? out : SAMPLES;
}

const ALPHABET = ' \t\n\r"\'\\$#{}[]*-.:,()!|&%@/abcdefgxyz0189ABZ_\0\x7f\xe9';

function mutate(text: string, r: () => number): string {
  // take a window of a few lines so each input stays small
  const lines = text.split('\n');
  const start = Math.floor(r() * lines.length);
  let s = lines.slice(start, start + 1 + Math.floor(r() * 12)).join('\n');
  if (r() < 0.5) s = SAMPLES[Math.floor(r() * SAMPLES.length)] + s;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    const ch = ALPHABET[Math.floor(r() * ALPHABET.length)];
    if (op < 0.4) s = s.slice(0, at) + ch + s.slice(at);
    else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1);
    else if (op < 0.85) s = s.slice(0, at) + ch + s.slice(at + 1);
    else s = s.slice(0, at) + s.slice(at, at + 20) + s.slice(at);
  }
  return s;
}

function random(r: () => number): string {
  let s = '';
  const len = Math.floor(r() * 120);
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

test('100,000 random and mutated configurations each give diagnostics or a model, never a throw, and the scanner agrees with the Chevrotain grammar on each', () => {
  const texts = corpusTexts();
  const r = rng(20261121);
  const deadline = Date.now() + 240_000;
  let n = 0;
  for (; n < 100_000 && Date.now() < deadline; n++) {
    const text = r() < 0.8 ? mutate(texts[Math.floor(r() * texts.length)], r) : random(r);
    try {
      const fast = shape(splitLines(text));
      const ref = shape(splitLinesWithGrammar(text));
      if (JSON.stringify(fast) !== JSON.stringify(ref)) assert.deepEqual(fast, ref, `scanner and grammar differ on ${JSON.stringify(text)}`);
      const res = readConfig(['fuzz.cfg'], opts, () => text);
      checkValidity(res.config, res.diags, opts);
      assert.ok(res.diags.list.every((d) => typeof d.message === 'string'));
    } catch (e) {
      assert.fail(`input #${n} threw ${(e as Error).stack}\n--- input ---\n${JSON.stringify(text)}`);
    }
  }
  assert.equal(n, 100_000, `only ${n} inputs ran before the time bound`);
});
