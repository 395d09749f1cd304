import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkAt } from '../helpers.js';
import type { ParseOptions } from '../../src/config/registry.js';
import { renderText } from '../../src/parser/diagnostics.js';
import { projectRoot } from '../corpus/conformance.js';

const dir = join(projectRoot, 'test', 'fixtures', 'seeds');
const verdicts: Record<string, { exit: number; alert_lines: number[] }> = JSON.parse(
  readFileSync(join(dir, 'haproxy-2.6-verdicts.json'), 'utf8'),
);

function opts(strict: boolean): ParseOptions {
  return {
    strict, version: '2.6.12', getenv: (n) => process.env[n], localPeer: 'vm',
    ignoreResolveErrors: false, masterWorker: false, supportWarnings: !strict,
  };
}

const check = (file: string, strict: boolean) => checkAt(dir, [file], opts(strict));

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cfg')).sort()) {
  test(`${file} gets HAProxy 2.6's exit code and alert lines with --strict`, async () => {
    const res = await check(file, true);
    const v = verdicts[file];
    assert.equal(res.exit, v.exit, res.diags.list.map(renderText).join('\n'));
    const lines = new Set(res.diags.alerts.map((d) => d.line));
    for (const l of v.alert_lines) assert.ok(lines.has(l), `no alert at line ${l}: ${res.diags.list.map(renderText).join('\n')}`);
  });
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('-legacy.cfg') || f.endsWith('-repaired.cfg'))) {
  test(`${file} is accepted in default mode`, async () => {
    const res = await check(file, false);
    assert.notEqual(res.exit, 1, res.diags.list.map(renderText).join('\n'));
    if (file.endsWith('-legacy.cfg')) {
      const warnings = res.diags.warnings.map(renderText).join('\n');
      assert.match(warnings, /legacy|removed in HAProxy/, 'legacy keywords are named in warnings');
    }
  });
}

test('the legacy Wt config keeps the modern meaning of its 1.x timeouts', async () => {
  const res = await check('002-wt-legacy.cfg', false);
  const bck1 = res.config.proxies.find((p) => p.name === 'bck1')!;
  assert.equal(bck1.timeouts.get('connect'), 5000);
  assert.equal(bck1.timeouts.get('client'), 50000);
  assert.equal(bck1.timeouts.get('server'), 50000);
  const warnings = res.diags.warnings.map(renderText).join('\n');
  assert.match(warnings, /'contimeout'.*timeout connect/);
});
