/**
 * Every ACL and condition of the seed configurations and of the corpus
 * configurations that HAProxy 2.6 accepts (`-c` exit 0 or 2) compiles
 * without throwing, with each named ACL, anonymous ACL and rule condition
 * turned into a runnable closure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig } from '../../src/config/check.js';
import type { Config, CondConf } from '../../src/config/model.js';
import { strictOptions } from '../helpers.js';
import { corpusDir, loadManifest, projectRoot } from '../corpus/conformance.js';
import { ProxyAcls, type SampleContext } from '../../src/acl/index.js';

interface Tally {
  acls: number;
  conds: number;
  unsupported: Set<string>;
}

/** Compiles everything conditional in `config` and evaluates each condition once on an empty stream. */
function compileAll(config: Config, baseDir: string, t: Tally): void {
  for (const p of [...config.defaults, ...config.proxies]) {
    const acls = new ProxyAcls(p, { baseDir });
    const conds: (CondConf | undefined)[] = [...p.rules.map((r) => r.cond), ...p.useBackends.map((u) => u.cond), ...p.useServers.map((u) => u.cond)];
    for (const name of new Set(p.acls.map((a) => a.name))) {
      assert.ok(acls.acl(name), `acl ${name} of ${p.name}`);
      t.acls++;
    }
    const ctx: SampleContext = { frontend: { name: p.name, id: 1 }, src: '127.0.0.1', dst: '127.0.0.1', srcPort: 1, dstPort: 2 };
    for (const c of conds) {
      if (!c) continue;
      const cc = acls.cond(c);
      const r = cc.eval(ctx, true);
      assert.ok(r === true || r === false, `condition '${c.text}' of ${p.name} gave ${r}`);
      t.conds++;
    }
    for (const w of acls.env.warnings) {
      const m = /(?:sample fetch|converter) '([^']+)' is not implemented/.exec(w);
      if (m) t.unsupported.add(m[1]);
    }
  }
}

test('the ACLs and conditions of the seed configurations compile and run', async () => {
  const dir = join(projectRoot, 'test', 'fixtures', 'seeds');
  const t: Tally = { acls: 0, conds: 0, unsupported: new Set() };
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('-repaired.cfg'))) {
      const r = await checkConfig([f], strictOptions());
      compileAll(r.config, dir, t);
    }
  } finally {
    process.chdir(cwd);
  }
  assert.ok(t.conds >= 2);
  assert.deepEqual([...t.unsupported], []);
});

test('the ACLs and conditions of every corpus configuration HAProxy accepts compile and run', { skip: !existsSync(corpusDir) && 'no shared corpus', timeout: 120000 }, async () => {
  const t: Tally = { acls: 0, conds: 0, unsupported: new Set() };
  const entries = loadManifest().filter((e) => e.exit === 0 || e.exit === 2);
  const cwd = process.cwd();
  let files = 0;
  for (const e of entries) {
    const dir = join(corpusDir, e.cwd);
    process.chdir(dir);
    try {
      const rel = e.file.slice(e.cwd.length + (e.cwd ? 1 : 0));
      const r = await checkConfig([rel], strictOptions({ getenv: () => undefined, ignoreResolveErrors: true }));
      compileAll(r.config, dir, t);
      files++;
    } finally {
      process.chdir(cwd);
    }
  }
  console.log(`corpus: ${files} configurations, ${t.acls} named ACLs, ${t.conds} conditions compiled; fetches/converters without runtime: ${[...t.unsupported].sort().join(' ') || 'none'}`);
  assert.ok(files > 350);
  assert.ok(t.conds > 500);
});
