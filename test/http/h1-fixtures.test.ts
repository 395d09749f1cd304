/**
 * Replays every exchange recorded from HAProxy 2.6.12 (test/fixtures/http,
 * rebuilt by capture.ts) through the H1 layer and checks the bytes each side
 * received and whether the client connection was closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFixture, SIM_CONFIGS } from './groups.js';
import { simulate } from './sim.js';

const show = (s: string) => JSON.stringify(s);

for (const group of Object.keys(SIM_CONFIGS)) {
  const fx = loadFixture(group);
  for (const c of fx.cases) {
    test(`${group}: "${c.name}" gives the client and the server the bytes HAProxy 2.6 gave them`, () => {
      const r = simulate(c, SIM_CONFIGS[group]);
      assert.equal(show(r.client), show(c.client), 'bytes received by the client');
      assert.deepEqual(r.server.map(show), c.server.map(show), 'bytes received by each server connection');
      assert.equal(r.clientClosed, c.clientClosed, 'client connection closed by the proxy');
    });
  }
}
