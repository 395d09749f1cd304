/**
 * ACL engine micro-benchmark: ns per evaluation of typical conditions, of
 * 1,000 host rules scanned in order, and of lookups in a 10,000-entry map
 * and a 10,000-network pattern file. Also prints how many of HAProxy 2.6's
 * fetches and converters (reference tables) have a runtime implementation.
 *
 *   npm run build && node dist/bench/acl-eval.js
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrayHeaders, ProxyAcls, compileCondText, compileExpr, evalString, fetchImpls, convImpls, newEnv, type SampleContext } from '../src/acl/index.js';

function measure(label: string, n: number, fn: () => unknown): number {
  for (let k = 0; k < Math.min(n, 20000); k++) fn();
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < n; k++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${label.padEnd(58)} ${ns.toFixed(1).padStart(10)} ns/eval`);
  return ns;
}

const ctx: SampleContext = {
  src: '10.39.15.200',
  srcPort: 40000,
  frontend: { name: 'fe', id: 1 },
  req: {
    method: 'GET',
    uri: '/static/img/logo.png?v=3',
    version: 'HTTP/1.1',
    headers: new ArrayHeaders([
      ['Host', 'Example.com'],
      ['User-Agent', 'curl/8.0'],
      ['Accept', '*/*'],
      ['Cookie', 'sid=abc; lang=fr'],
      ['X-Forwarded-For', '1.2.3.4, 5.6.7.8'],
    ]),
  },
};

const acls = new ProxyAcls(undefined);
const c1 = compileCondText('if { hdr(host) -i example.com }', acls);
measure('{ hdr(host) -i example.com }', 2_000_000, () => c1.eval(ctx));
const c2 = compileCondText('if { path_beg /static /images /assets } METH_GET', acls);
measure('{ path_beg /static /images /assets } METH_GET', 2_000_000, () => c2.eval(ctx));
const c3 = compileCondText('if { src 10.0.0.0/8 192.168.0.0/16 } !{ cook(sid) -m found }', acls);
measure('{ src 10.0.0.0/8 ... } !{ cook(sid) -m found }', 2_000_000, () => c3.eval(ctx));

// 1,000 use_backend-like rules, the matching one last
const rules = Array.from({ length: 1000 }, (_, i) => compileCondText(`if { hdr(host) -i host${999 - i}.example.com }`, acls));
const hostCtx: SampleContext = { ...ctx, req: { ...ctx.req!, headers: new ArrayHeaders([['host', 'host0.example.com']]) } };
measure('1,000 host rules scanned until the last one matches', 5_000, () => {
  for (const r of rules) if (r.eval(hostCtx) === true) return r;
  return undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-bench-'));
writeFileSync(join(dir, 'hosts.map'), Array.from({ length: 10000 }, (_, i) => `host${i}.example.com be${i % 10}`).join('\n') + '\n');
writeFileSync(join(dir, 'nets.lst'), Array.from({ length: 10000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`).join('\n') + '\n');
const mapExpr = compileExpr(`req.hdr(host),lower,map(${join(dir, 'hosts.map')},default)`, newEnv());
const mapCtx: SampleContext = { ...ctx, req: { ...ctx.req!, headers: new ArrayHeaders([['host', 'HOST7777.example.com']]) } };
measure('req.hdr(host),lower,map(10,000 entries)', 1_000_000, () => evalString(mapExpr, mapCtx));
const bigAcl = new ProxyAcls(undefined, { baseDir: dir });
const c4 = compileCondText('if { src -f nets.lst }', bigAcl);
measure('{ src -f 10,000 networks }', 1_000_000, () => c4.eval(ctx));
const c5 = compileCondText(`if { hdr(host) -i -M -f ${join(dir, 'hosts.map')} }`, bigAcl);
measure('{ hdr(host) -i -M -f 10,000 hosts }', 1_000_000, () => c5.eval(mapCtx));

/* coverage of HAProxy's reference tables */
const here = dirname(fileURLToPath(import.meta.url));
const ref = resolve(here, '..', '..', '..', 'shared', 'reference');
try {
  const names = (f: string) =>
    readFileSync(join(ref, f), 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0])
      .filter((n) => n);
  const f = names('fetches.tsv');
  const c = names('converters.tsv');
  const fDone = f.filter((n) => fetchImpls.has(n));
  const cDone = c.filter((n) => convImpls.has(n));
  console.log(`fetches with a runtime: ${fDone.length} of ${f.length} (fetches.tsv)`);
  console.log(`converters with a runtime: ${cDone.length} of ${c.length} (converters.tsv)`);
  if (process.argv.includes('--missing')) {
    console.log('missing fetches:', f.filter((n) => !fetchImpls.has(n)).join(' '));
    console.log('missing converters:', c.filter((n) => !convImpls.has(n)).join(' '));
  }
} catch {
  console.log('(no ../shared/reference: coverage not computed)');
}
