/**
 * Live replay of every exchange recorded from HAProxy 2.6.12
 * (test/fixtures/http): one tshaproxy process per recorded configuration,
 * a raw backend that answers with the recorded replies, the recorded client
 * bytes sent as they were; the bytes each side received and who closed
 * must equal HAProxy's. Cases listed in known-differences.tsv run as todo.
 *
 * LIVE_SUBJECT=haproxy replays against the installed haproxy instead (a
 * check of this runner); LIVE_GROUPS=a,b limits the groups.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUPS } from '../http/cases.js';
import { loadFixture } from '../http/groups.js';
import type { CaseRecord } from '../http/harness.js';
import { projectRoot } from '../harness/runner.js';
import { which } from '../harness/procs.js';
import { LiveGroup, type Subject } from './runner.js';

const subject = (process.env.LIVE_SUBJECT ?? 'tshaproxy') as Subject;
const only = process.env.LIVE_GROUPS?.split(',').filter(Boolean);
const LANES = 10;

/** group -> case name -> reason */
function knownDifferences(): Map<string, Map<string, string>> {
  const m = new Map<string, Map<string, string>>();
  const text = readFileSync(join(projectRoot, 'test', 'http-live', 'known-differences.tsv'), 'utf8');
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [group, name, reason] = line.split('\t');
    if (!m.has(group)) m.set(group, new Map());
    m.get(group)!.set(name, reason ?? '');
  }
  return m;
}

const known = subject === 'tshaproxy' ? knownDifferences() : new Map<string, Map<string, string>>();
const show = (s: string) => JSON.stringify(s);
const tally: string[] = [];
const skip = subject === 'haproxy' && !which('haproxy') ? 'haproxy not installed' : false;

function same(got: CaseRecord, want: CaseRecord): boolean {
  return (
    got.client === want.client &&
    got.clientClosed === want.clientClosed &&
    JSON.stringify(got.server) === JSON.stringify(want.server) &&
    JSON.stringify(got.serverClosed) === JSON.stringify(want.serverClosed)
  );
}

for (const g of GROUPS) {
  if (only && !only.includes(g.name)) continue;
  const fx = loadFixture(g.name);
  const allowed = known.get(g.name) ?? new Map<string, string>();
  describe(`live ${subject}: ${g.name} exchanges`, { skip }, () => {
    let live: LiveGroup | undefined;
    let results: CaseRecord[] = [];
    before(async () => {
      live = new LiveGroup(g.config, { subject, lanes: LANES, files: g.files });
      await live.start();
      results = await live.runAll(fx.cases);
      const pass = results.filter((r, i) => same(r, fx.cases[i])).length;
      tally.push(`${g.name}: ${pass}/${fx.cases.length} identical to HAProxy 2.6.12`);
    });
    after(async () => {
      await live?.stop();
    });
    fx.cases.forEach((want, i) => {
      const reason = allowed.get(want.name);
      test(`"${want.name}" gives both sides the bytes HAProxy gave them`, { todo: reason }, () => {
        const got = results[i];
        assert.ok(got, `no result (proxy output: ${live?.output().slice(-2000)})`);
        assert.equal(show(got.client), show(want.client), 'bytes received by the client');
        assert.equal(got.clientClosed, want.clientClosed, 'client connection closed by the proxy');
        assert.deepEqual(got.server.map(show), want.server.map(show), 'bytes received by each server connection');
        assert.deepEqual(got.serverClosed, want.serverClosed, 'server connections closed by the proxy');
      });
    });
  });
}

test('live replay summary', { skip }, (t) => {
  for (const line of tally) t.diagnostic(line);
});
