/** `-c` on a generated 50,000-line configuration: tshaproxy's check beside HAProxy's. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateBigConfig } from '../lib/configs.js';
import { have, lastLine } from '../lib/proc.js';
import { median, rotation, type Row, type Scenario } from '../lib/scenario.js';
import { label, tshaproxyBin, type SubjectName } from '../lib/subjects.js';

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // 2 = warnings only, still a pass
  if (r.status !== 0 && r.status !== 2) throw new Error(`exit ${r.status ?? r.signal}: ${lastLine(r.stderr ?? '')}`);
  return ms;
}

export const check: Scenario = {
  name: 'check',
  title: '-c on a generated 50,000-line config',
  primary: 'ms',
  goals: [{ vs: 'haproxy', op: '<=', ratio: 2 }],
  quick: true,
  traffic: false,
  async run(ctx) {
    const file = join(ctx.dir, 'big.cfg');
    const text = generateBigConfig();
    writeFileSync(file, text);
    const lines = text.split('\n').length - 1;
    const title = `-c on a generated ${lines.toLocaleString('en-US')}-line config`;
    const pin = ctx.pin.proxy !== null ? ['taskset', '-c', ctx.pin.proxy] : [];
    const all: [SubjectName, string[]][] = [
      ['tshaproxy', [...pin, process.execPath, tshaproxyBin, '-c', '-q', '-f', file]],
      ['haproxy', [...pin, 'haproxy', '-c', '-q', '-f', file]],
    ];
    const subjects = all.filter(([n]) => ctx.subjects.has(n));
    const rows = new Map<SubjectName, Row>(subjects.map(([n]) => [n, { scenario: 'check', title, subject: n, label: label(n, 'http').replace(' (http)', ''), status: 'ok', primary: 'ms', runs: [] }]));
    if (!have('haproxy') && rows.has('haproxy')) Object.assign(rows.get('haproxy')!, { status: 'n/a', reason: 'haproxy not on PATH' });
    const n = ctx.quick ? 3 : 5;
    for (let i = 0; i < n; i++) {
      for (const [name, argv] of rotation(subjects, i)) {
        const row = rows.get(name)!;
        if (row.status !== 'ok') continue;
        try {
          row.runs.push(timeCommand(argv[0], argv.slice(1)));
        } catch (e) {
          Object.assign(row, { status: 'n/a', reason: (e as Error).message });
        }
      }
    }
    for (const r of rows.values()) {
      if (r.status === 'ok') r.ms = median(r.runs);
      ctx.log(`check ${r.label}: ${r.status === 'ok' ? `${r.ms!.toFixed(0)} ms (${r.runs.map((x) => x.toFixed(0)).join(', ')})` : r.reason}`);
    }
    return [...rows.values()];
  },
};
