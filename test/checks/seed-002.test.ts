/**
 * Seed article 002 (HAProxy in front of Wt): URLs with wtd=wt1 stick to bck1
 * while `nbsrv(bck1) gt 0`, and bck_lb balances over servers that `track`
 * the checked ones. When srv1 dies its check takes it DOWN, nbsrv(bck1)
 * drops to 0, and its wt1 URLs fail over to bck_lb where srv1 is DOWN too
 * (tracked), so srv2 answers; when srv1 comes back everything returns.
 * Config: test/fixtures/seeds/002-wt-repaired.cfg, with `inter 200` added to
 * its `check` keywords so that the test does not wait 2 s per check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePorts } from '../harness/procs.js';
import { projectRoot } from '../harness/runner.js';
import { Backend, get, noDurations, run, stateLines, stopAll, subjects } from './lib.js';

const fixture = readFileSync(join(projectRoot, 'test', 'fixtures', 'seeds', '002-wt-repaired.cfg'), 'utf8');
const cfg = fixture.replace(/ check$/gm, ' check inter 200');

for (const who of subjects()) {
  describe(`seed 002 (Wt) on ${who}`, () => {
    it('a dead srv1 is checked DOWN, its tracker in bck_lb follows, wt1 URLs fail over to srv2, and all comes back with srv1', async () => {
      assert.notEqual(cfg, fixture, 'the fixture has check keywords');
      const [fe, p1, p2] = await freePorts(3);
      const srv1 = new Backend(p1, 'http', 'srv1');
      const srv2 = new Backend(p2, 'http', 'srv2');
      await srv1.start();
      await srv2.start();
      const px = await run(who, cfg, [fe], { FE_PORT: String(fe), WT1_PORT: String(p1), WT2_PORT: String(p2) });
      try {
        assert.equal((await get(fe, '/app?wtd=wt1AbCd')).body, 'srv1');
        assert.equal((await get(fe, '/app?wtd=wt2EfGh&x=1')).body, 'srv2');
        assert.deepEqual([(await get(fe, '/')).body, (await get(fe, '/')).body].sort(), ['srv1', 'srv2']);

        await srv1.stop();
        // fall 3 at inter 200 (fastinter unset): about 600 ms
        await px.waitLine(/Server bck_lb\/srv1 is DOWN via bck1\/srv1/, 3000);
        assert.deepEqual(stateLines(px).map(noDurations), [
          '[WARNING]  (PID) : Server bck1/srv1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
          "[ALERT]    (PID) : backend 'bck1' has no server available!",
          '[WARNING]  (PID) : Server bck_lb/srv1 is DOWN via bck1/srv1. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
        ]);
        assert.equal((await get(fe, '/app?wtd=wt1AbCd')).body, 'srv2');
        assert.equal((await get(fe, '/')).body, 'srv2');
        assert.equal((await get(fe, '/')).body, 'srv2');

        await srv1.start();
        await px.waitLine(/Server bck_lb\/srv1 is UP via bck1\/srv1/, 3000);
        assert.deepEqual(stateLines(px).slice(3).map(noDurations), [
          '[WARNING]  (PID) : Server bck1/srv1 is UP, reason: Layer4 check passed, check duration: Nms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
          '[WARNING]  (PID) : Server bck_lb/srv1 is UP via bck1/srv1. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
        ]);
        assert.equal((await get(fe, '/app?wtd=wt1AbCd')).body, 'srv1');
      } finally {
        await px.stop();
        await stopAll([srv1, srv2]);
      }
    });
  });
}
