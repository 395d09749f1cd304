/** What the log tests share: a UDP syslog collector, capture readers, and masks for timers. */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../harness/runner.js';

/** copies of shared/reference/captures/logs/variant_* (UDP datagrams HAProxy 2.6 sent) */
export const CAPTURES = join(projectRoot, 'test', 'log', 'captures');

/** A syslog receiver on 127.0.0.1 (port 0): datagrams as latin1 strings, in arrival order. */
export class Collector {
  readonly lines: string[] = [];
  private sock = dgram.createSocket('udp4');
  private waiters: (() => void)[] = [];
  port = 0;

  async start(): Promise<this> {
    this.sock.on('message', (m) => {
      this.lines.push(m.toString('latin1'));
      for (const w of this.waiters.splice(0)) w();
    });
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = (this.sock.address() as { port: number }).port;
    return this;
  }

  /** resolves once `n` datagrams arrived, or after `ms` with what there is */
  async waitFor(n: number, ms = 3000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.lines.slice();
  }

  close(): void {
    this.sock.close();
  }
}

/** Reads a file of Python bytes reprs (b'...'), one per line, as latin1 strings. */
export function readPyRepr(name: string): string[] {
  const text = readFileSync(join(CAPTURES, name), 'latin1');
  return text
    .split('\n')
    .filter((l) => l.startsWith("b'") || l.startsWith('b"'))
    .map((l) => unrepr(l.slice(2, -1)));
}

function unrepr(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = s[++i];
    if (d === 'n') out += '\n';
    else if (d === 'r') out += '\r';
    else if (d === 't') out += '\t';
    else if (d === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += d;
  }
  return out;
}

/**
 * Masks what differs between two runs of the same traffic: dates, pids,
 * client ports, and the numeric timers (a timer that is -1 stays -1, since
 * "did not happen" is meaningful).
 */
export function maskLine(l: string): string {
  return l
    .replace(/^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d /, '<$1>DATE ')
    .replace(/^<(\d+)>1 \S+ (\S+) (\S+) \d+ /, '<$1>1 DATE $2 $3 PID ')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\]/g, '[DATE]')
    .replace(/"" "" \d+ \d+ ("[^"]*" "[^"]*" "[^"]*") ((?:-?\d+ ){5})/, (_m, names: string, t: string) => `"" "" PORT MS ${names} ${t.replace(/\b\d+/g, (n, off: number) => (t[off - 1] === '-' ? n : 'N'))}`)
    .replace(/\[\d+\]: /, '[PID]: ')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/(\d+\.\d+\.\d+\.\d+):\d+ /g, '$1:PORT ')
    .replace(/ (-?\d+\/-?\d+\/-?\d+\/-?\d+\/-?\d+|-?\d+\/-?\d+\/-?\d+) /, (_m, t: string) => ' ' + t.replace(/\d+/g, (n, off: number) => (t[off - 1] === '-' ? n : 'N')) + ' ');
}
