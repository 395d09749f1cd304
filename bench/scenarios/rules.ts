/**
 * Rules-heavy routing: 1,000 `use_backend ... if { hdr(host) -i ... }` rules and a
 * 10,000-entry map; the request's Host misses every rule and is found in the map.
 * Only tshaproxy and HAProxy (the others have no rules to walk). Not in --quick.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesConfig } from '../lib/configs.js';
import { PATHS } from '../lib/origin.js';
import { trafficScenario } from '../lib/scenario.js';

const HOST = 'map9999.example.com';

export const rules = trafficScenario({
  name: 'rules',
  title: 'HTTP keep-alive through 1,000 host rules + a 10,000-entry map',
  mode: 'http',
  path: PATHS.small,
  headers: [`Host: ${HOST}`],
  connections: 50,
  primary: 'rps',
  // no goal set yet in the issue: the ratio is shown without a verdict
  goals: [],
  quick: false,
  subjects: ['tshaproxy', 'haproxy'],
  config: (ctx, port) => {
    const mapFile = join(ctx.dir, `hosts-${port}.map`);
    const r = rulesConfig({ port, originPort: ctx.origin!.port, maxconn: 5000, mapFile, rules: 1000, mapEntries: 10000 });
    if (r.host !== HOST) throw new Error('rules scenario: host out of step with the map');
    writeFileSync(mapFile, r.map);
    return r.cfg;
  },
});
