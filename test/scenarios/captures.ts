/**
 * HAProxy 2.6's recorded responses for expectations about exact bytes: the
 * copies in test/scenarios/captures/ (from shared/reference/captures/errors/),
 * else the shared folder beside the project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseResponse } from '../harness/client.js';
import { projectRoot } from '../harness/runner.js';

const dirs = [join(projectRoot, 'test', 'scenarios', 'captures'), join(projectRoot, '..', 'shared', 'reference', 'captures', 'errors')];

/** A captured response file, parsed (status, headers, body as latin1). */
export function capture(file: string): { status: number; headers: [string, string][]; body: string; raw: Buffer } {
  const dir = dirs.find((d) => existsSync(join(d, file)));
  if (!dir) throw new Error(`capture ${file} not found in ${dirs.join(' or ')}`);
  const raw = readFileSync(join(dir, file));
  const p = parseResponse(raw, true);
  if (!p) throw new Error(`capture ${file} is not a complete response`);
  return { status: p.res.status, headers: p.res.headers, body: p.res.body.toString('latin1'), raw };
}
