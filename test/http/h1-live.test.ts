/**
 * Checks a sample of the recorded exchanges against the installed haproxy,
 * so the fixtures stay true to HAProxy 2.6 (skipped without haproxy).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUPS } from './cases.js';
import { Observer, haveHaproxy } from './harness.js';
import { loadFixture } from './groups.js';

const SAMPLE: Record<string, string[]> = {
  forward: [
    'get with mixed-case headers and trailing blanks',
    'http/1.0 get without keep-alive, 1.1 response',
    'post chunked with extensions and trailers',
    'obs-fold in request header',
  ],
  smuggling: ['CL.TE: content-length then transfer-encoding', 'TE: identity, chunked', 'NUL in header value', 'chunk size overflow'],
};

const live = haveHaproxy();

for (const [group, names] of Object.entries(SAMPLE)) describe(`recorded ${group} exchanges`, () => {
  const g = GROUPS.find((x) => x.name === group)!;
  const fx = loadFixture(group);
  let obs: Observer | undefined;
  before(async () => {
    if (!live) return;
    obs = new Observer(g.config, g.files);
    await obs.start();
  });
  after(async () => {
    await obs?.stop();
  });
  for (const name of names) {
    test(`the installed haproxy still answers "${name}" (${group}) as recorded`, { skip: !live && 'haproxy not installed', timeout: 10000 }, async () => {
      const rec = fx.cases.find((c) => c.name === name)!;
      const spec = g.cases.find((c) => c.name === name)!;
      const r = await obs!.run(spec);
      assert.equal(JSON.stringify(r.client), JSON.stringify(rec.client));
      assert.deepEqual(r.server, rec.server);
      assert.equal(r.clientClosed, rec.clientClosed);
    });
  }
});
