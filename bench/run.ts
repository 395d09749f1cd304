/**
 * `npm run bench`: tshaproxy beside HAProxy 2.6 on the same inputs, in one run.
 * Scenarios so far: `check` (-c on a generated 50,000-line configuration).
 * The traffic scenarios join as the runtime lands (see the Benchmark issue).
 *
 *   npm run bench [-- --quick] [--json FILE] [--only NAME]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tshaproxy = join(root, 'bin', 'tshaproxy');

interface Row {
  scenario: string;
  subject: string;
  metric: string;
  median: number;
  runs: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** 1,000 backends x 40 servers, a frontend with one ACL and one use_backend per backend. */
export function generateBigConfig(backends = 1000, servers = 40): string {
  const out: string[] = [
    'global', '    maxconn 50000', '',
    'defaults', '    mode http', '    timeout connect 5s', '    timeout client 30s', '    timeout server 30s', '',
    'frontend fe', '    bind 127.0.0.1:18080',
  ];
  for (let b = 0; b < backends; b++) {
    out.push(`    acl host_${b} hdr(host) -i app${b}.example.com`);
    out.push(`    use_backend be_${b} if host_${b}`);
  }
  out.push('    default_backend be_0', '');
  for (let b = 0; b < backends; b++) {
    out.push(`backend be_${b}`, '    balance roundrobin', '    option httpchk GET /health', '    cookie SRV insert indirect nocache');
    out.push(`    http-request set-header X-Backend be_${b}`, '    timeout server 60s', '    retries 3');
    for (let s = 0; s < servers; s++) {
      out.push(`    server s${s} 10.${(b >> 8) & 255}.${b & 255}.${s + 1}:8080 check weight ${1 + (s % 10)}`);
    }
    out.push('');
  }
  return out.join('\n') + '\n';
}

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 500)}`);
  return ms;
}

function benchCheck(quick: boolean): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-bench-'));
  const file = join(dir, 'big.cfg');
  const text = generateBigConfig();
  writeFileSync(file, text);
  const lines = text.split('\n').length - 1;
  const runs = quick ? 3 : 5;
  const subjects: [string, string, string[]][] = [['tshaproxy', process.execPath, [tshaproxy, '-c', '-q', '-f', file]]];
  if (have('haproxy')) subjects.push(['haproxy 2.6', 'haproxy', ['-c', '-q', '-f', file]]);
  const rows: Row[] = subjects.map(([subject]) => ({ scenario: `-c on ${lines} lines`, subject, metric: 'ms', median: 0, runs: [] }));
  // alternate subjects so drift hits all alike
  for (let i = 0; i < runs; i++) {
    subjects.forEach(([, cmd, args], j) => rows[j].runs.push(timeCommand(cmd, args)));
  }
  for (const r of rows) r.median = median(r.runs);
  return rows;
}

function main(): void {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const jsonAt = argv.indexOf('--json');
  const rows: Row[] = [...benchCheck(quick)];
  const ref = (scenario: string) => rows.find((r) => r.scenario === scenario && r.subject.startsWith('haproxy'));
  console.log('| scenario | subject | median | runs | vs HAProxy |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const h = ref(r.scenario);
    const ratio = h && r !== h ? `${(r.median / h.median).toFixed(2)}x the time` : '';
    console.log(`| ${r.scenario} | ${r.subject} | ${r.median.toFixed(0)} ${r.metric} | ${r.runs.map((x) => x.toFixed(0)).join(', ')} | ${ratio} |`);
  }
  if (jsonAt >= 0 && argv[jsonAt + 1]) writeFileSync(argv[jsonAt + 1], JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

if (process.argv[1] && process.argv[1].endsWith('run.js')) main();
