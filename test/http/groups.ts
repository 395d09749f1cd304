/** Fixture groups and the simulator configuration matching each capture config. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseRecord } from './harness.js';
import type { SimConfig } from './sim.js';
import { parseErrorfile, type Reply } from '../../src/runtime/http/errors.js';
import { ERRORFILES } from './cases.js';

function errorfile(name: string): Reply {
  const r = parseErrorfile(Buffer.from(ERRORFILES[name], 'latin1'));
  if ('error' in r) throw new Error(r.error);
  return r;
}

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = resolve(here, '..', '..', '..', 'test', 'fixtures', 'http');

export interface FixtureFile {
  haproxy: string;
  description: string;
  config: string;
  cases: CaseRecord[];
}

export function loadFixture(name: string): FixtureFile {
  return JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), 'utf8')) as FixtureFile;
}

const caseMap = new Map([
  ['host', 'Host'],
  ['content-length', 'Content-Length'],
  ['x-custom', 'X-CuStOm'],
  ['connection', 'Connection'],
  ['transfer-encoding', 'Transfer-Encoding'],
]);

export const SIM_CONFIGS: Record<string, SimConfig> = {
  forward: {},
  smuggling: {},
  'response-errors': {},
  limits: {},
  'limits-small': { bufsize: 4096, maxrewrite: 1024, maxHeaders: 10 },
  'case-adjust': { caseMap, adjustRequests: true, adjustResponses: true },
  'accept-invalid': { acceptInvalidRequest: true, acceptInvalidResponse: true },
  errorfiles: {
    deny: { '/403': 403, '/404': 404, '/410': 410, '/429': 429, '/401': 401, '/500': 500, '/400': 400, '/503': 503 },
    errorfiles: {
      503: errorfile('lf.http'),
      403: errorfile('mixed.http'),
      404: errorfile('nocl11.http'),
      410: errorfile('keepalive.http'),
      429: errorfile('gzip.http'),
      401: errorfile('fold.http'),
      500: errorfile('empty.http'),
      400: errorfile('custom400.http'),
    },
  },
  'mode-httpclose': { feMode: 'clo', beMode: 'clo' },
  'mode-server-close': { feMode: 'scl', beMode: 'scl' },
  'mode-pretend-keepalive': { feMode: 'scl', beMode: 'scl', pretendKeepalive: true },
  generated: { deny: { '/403': 403, '/421': 421, '/422': 422, '/200': 200, '/408': 408, '/400': 400, '/503': 503 } },
};
