/**
 * The request file of `tshaproxy compare`: one block per request, blocks
 * separated by blank lines. A block is a request line `METHOD URL [HTTP/1.x]`,
 * then `Name: value` header lines, then body lines written `| text` (joined
 * with LF). `#` starts a comment line. An absolute URL (http://host/path)
 * gives the Host header unless one is written.
 */
import { buildRequest } from './http.js';

export interface RequestSpec {
  /** 1-based line of the request line, for messages. */
  line: number;
  method: string;
  url: string;
  version: string;
  headers: [string, string][];
  body?: string;
}

export function parseRequestFile(text: string): RequestSpec[] {
  const out: RequestSpec[] = [];
  let cur: RequestSpec | undefined;
  let body: string[] | undefined;
  const close = () => {
    if (cur) {
      if (body) cur.body = body.join('\n');
      out.push(cur);
    }
    cur = undefined;
    body = undefined;
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    if (raw.startsWith('#')) return;
    if (!raw.trim()) {
      close();
      return;
    }
    if (!cur) {
      const m = /^([A-Za-z][A-Za-z-]*)\s+(\S+)(?:\s+(HTTP\/\d\.\d))?\s*$/.exec(raw.trim());
      if (!m) throw new Error(`line ${n}: expected a request line "METHOD URL [HTTP/1.x]", got ${JSON.stringify(raw)}`);
      cur = { line: n, method: m[1]!, url: m[2]!, version: m[3] ?? 'HTTP/1.1', headers: [] };
      return;
    }
    if (raw.startsWith('|')) {
      (body ??= []).push(raw.startsWith('| ') ? raw.slice(2) : raw.slice(1));
      return;
    }
    if (body) throw new Error(`line ${n}: a header after body lines`);
    const c = raw.indexOf(':');
    if (c <= 0) throw new Error(`line ${n}: expected "Name: value" or "| body", got ${JSON.stringify(raw)}`);
    cur.headers.push([raw.slice(0, c).trim(), raw.slice(c + 1).trim()]);
  });
  close();
  return out;
}

/** The bytes to send: origin-form target, Host from the URL (or `localhost`) when none is written. */
export function requestBytes(r: RequestSpec): Buffer {
  let target = r.url;
  let host: string | undefined;
  const m = /^https?:\/\/([^/?#]+)(.*)$/i.exec(r.url);
  if (m) {
    host = m[1]!;
    target = m[2] || '/';
  }
  const headers = [...r.headers];
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) headers.unshift(['Host', host ?? 'localhost']);
  return buildRequest({ method: r.method, path: target, version: r.version, headers, body: r.body });
}
