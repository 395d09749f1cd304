/**
 * Rewrites a haproxy.cfg so that two proxies can run it side by side: every
 * `bind` line of a frontend or listen section gets a free 127.0.0.1 port
 * instead of its address (its options stay), and `stats socket` lines are
 * commented out (two processes cannot share one socket path).
 */

export interface FrontendBinds {
  name: string;
  /** The new ports, one per bind line. */
  ports: number[];
  /** A bind line with `ssl`: compare sends plain HTTP, so it cannot use it. */
  ssl: boolean;
  /** The original addresses, for messages. */
  original: string[];
}

const SECTION = /^\s*(global|defaults|frontend|backend|listen|peers|resolvers|userlist|mailers|program|http-errors|ring|cache|fcgi-app)\b\s*(\S*)/;
const BIND = /^(\s*bind\s+)("[^"]*"|'[^']*'|\S+)(.*)$/;

export function rewriteBinds(text: string, nextPort: () => number): { text: string; frontends: FrontendBinds[] } {
  const frontends: FrontendBinds[] = [];
  let current: FrontendBinds | undefined;
  let inGlobal = false;
  const lines = text.split('\n').map((line) => {
    const sec = SECTION.exec(line);
    if (sec) {
      inGlobal = sec[1] === 'global';
      current = sec[1] === 'frontend' || sec[1] === 'listen' ? { name: sec[2] ?? '', ports: [], ssl: false, original: [] } : undefined;
      if (current) frontends.push(current);
      return line;
    }
    if (inGlobal && /^\s*stats\s+socket\b/.test(line)) return `# (tshaproxy compare) ${line}`;
    const b = current ? BIND.exec(line) : null;
    if (!b || !current) return line;
    const port = nextPort();
    current.ports.push(port);
    current.original.push(b[2]!);
    if (/\sssl(\s|$)/.test(b[3]!)) current.ssl = true;
    return `${b[1]}127.0.0.1:${port}${b[3]}`;
  });
  return { text: lines.join('\n'), frontends: frontends.filter((f) => f.ports.length) };
}
