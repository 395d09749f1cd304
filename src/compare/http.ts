/** A minimal HTTP/1.x response parser and request builder (compare and the scenario harness share them). */

const HEAD_END = Buffer.from('\r\n\r\n');

export interface ParsedResponse {
  version: string;
  status: number;
  reason: string;
  headers: [string, string][];
  /** The body, de-chunked. */
  body: Buffer;
  /** The whole response as received. */
  raw: Buffer;
}

/**
 * Parses one response at the start of `buf`. `atEnd`: no more bytes will come
 * (a body without length ends there). Returns undefined while incomplete.
 */
export function parseResponse(buf: Buffer, atEnd: boolean, method = 'GET'): { res: ParsedResponse; used: number } | undefined {
  const he = buf.indexOf(HEAD_END);
  if (he < 0) return undefined;
  const lines = buf.subarray(0, he).toString('latin1').split('\r\n');
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  const status = Number(m[2]);
  const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = he + 4;
  let body: Buffer = Buffer.alloc(0);
  const noBody = method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304;
  if (noBody) {
    /* nothing */
  } else if (/chunked/i.test(get('transfer-encoding') ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return undefined;
      const size = parseInt(buf.subarray(pos, le).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      if (size === 0) {
        const te = buf.indexOf(HEAD_END, le - 2);
        if (te < 0) return undefined;
        pos = te + 4;
        break;
      }
      if (buf.length < le + 2 + size + 2) return undefined;
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (get('content-length') !== undefined) {
    const cl = parseInt(get('content-length')!, 10);
    if (buf.length < pos + cl) return undefined;
    body = buf.subarray(pos, pos + cl);
    pos += cl;
  } else {
    if (!atEnd) return undefined;
    body = buf.subarray(pos);
    pos = buf.length;
  }
  return { res: { version: m[1]!, status, reason: m[3] ?? '', headers, body, raw: buf.subarray(0, pos) }, used: pos };
}

/** Bytes of an HTTP/1.x request; adds content-length when there is a body and no length header. */
export function buildRequest(r: {
  method?: string;
  path?: string;
  version?: string;
  headers?: [string, string][] | Record<string, string>;
  body?: string | Buffer;
}): Buffer {
  const headers: [string, string][] = Array.isArray(r.headers) ? [...r.headers] : Object.entries(r.headers ?? {});
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const has = (n: string) => headers.some(([k]) => k.toLowerCase() === n);
  if (body && !has('content-length') && !has('transfer-encoding')) headers.push(['content-length', String(body.length)]);
  let head = `${r.method ?? 'GET'} ${r.path ?? '/'} ${r.version ?? 'HTTP/1.1'}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
}
