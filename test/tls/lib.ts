/**
 * What the TLS tests share: a small PKI made with the openssl command in a
 * temp dir (a CA, server certificates for a.example and b.example, a client
 * certificate), TLS clients that report what they negotiated, and raw
 * exchanges that report how the peer closed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { which, withTimeout } from '../harness/procs.js';

export const OPENSSL = which('openssl');

export interface Pki {
  dir: string;
  /** CA certificate (PEM path) */
  ca: string;
  /** cert+key PEM files */
  a: string;
  b: string;
  client: string;
  /** a certificate without its key */
  nokey: string;
  /** a client certificate from another CA */
  stranger: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL!, args, { cwd: dir, stdio: 'ignore' });
}

function issue(dir: string, name: string, subj: string, san: string, ca = 'ca'): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', `${name}.ext`]);
  writeFileSync(join(dir, `${name}.pem`), readFileSync(join(dir, `${name}.crt`), 'latin1') + readFileSync(join(dir, `${name}.key`), 'latin1'));
}

/** Makes the test PKI (a few hundred ms); undefined when openssl is missing. */
export function makePki(): Pki | undefined {
  if (!OPENSSL) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tshaproxy-tls-'));
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=Test CA']);
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca2.key', '-out', 'ca2.crt', '-days', '30', '-subj', '/CN=Other CA']);
  issue(dir, 'a', '/C=FR/O=Org/CN=a.example', 'DNS:a.example');
  issue(dir, 'b', '/C=FR/O=Org/CN=b.example', 'DNS:b.example,DNS:*.wild.example');
  issue(dir, 'client', '/C=FR/O=Org/CN=client1', 'DNS:client1');
  issue(dir, 'stranger', '/C=FR/O=Else/CN=stranger', 'DNS:stranger', 'ca2');
  writeFileSync(join(dir, 'nokey.pem'), readFileSync(join(dir, 'a.crt')));
  const p = (n: string) => join(dir, n);
  return { dir, ca: p('ca.crt'), a: p('a.pem'), b: p('b.pem'), client: p('client.pem'), nokey: p('nokey.pem'), stranger: p('stranger.pem') };
}

export interface TlsResult {
  ok: boolean;
  error?: string;
  /** CN of the certificate the server presented */
  cn?: string;
  alpn?: string | false | null;
  protocol?: string | null;
  cipher?: string;
  /** bytes received after the handshake (latin1) */
  data: string;
}

export interface TlsClientOpts {
  servername?: string;
  alpn?: string[];
  maxVersion?: tls.SecureVersion;
  minVersion?: tls.SecureVersion;
  /** PEM file with a client certificate and key */
  cert?: string;
  /** sent once the handshake is done */
  send?: string;
  maxMs?: number;
  /** close once something came back (tcp servers that keep the connection) */
  closeOnData?: boolean;
}

/** A TLS connection: handshake, send, read until the server closes (or maxMs). */
export function tlsExchange(port: number, o: TlsClientOpts = {}): Promise<TlsResult> {
  const max = o.maxMs ?? 3000;
  return withTimeout(
    new Promise<TlsResult>((resolve) => {
      const pem = o.cert ? readFileSync(o.cert, 'latin1') : undefined;
      const c = tls.connect({
        host: '127.0.0.1',
        port,
        servername: o.servername,
        ALPNProtocols: o.alpn,
        maxVersion: o.maxVersion,
        minVersion: o.minVersion,
        cert: pem,
        key: pem,
        rejectUnauthorized: false,
      });
      const r: TlsResult = { ok: false, data: '' };
      const timer = setTimeout(() => c.destroy(), max);
      c.on('secureConnect', () => {
        r.ok = true;
        r.cn = c.getPeerCertificate()?.subject?.CN as string | undefined;
        r.alpn = c.alpnProtocol;
        r.protocol = c.getProtocol();
        r.cipher = c.getCipher()?.name;
        if (o.send) c.write(o.send);
      });
      c.on('data', (d) => {
        r.data += d.toString('latin1');
        if (o.closeOnData) c.destroy();
      });
      c.on('error', (e) => (r.error ??= e.message));
      c.on('close', () => {
        clearTimeout(timer);
        resolve(r);
      });
    }),
    max + 2000,
    'tls exchange',
  );
}

export interface RawResult {
  hex: string;
  how: 'end' | 'reset' | 'timeout';
  ms: number;
}

/** Plain TCP: sends `bytes` (if any), collects until the peer closes or maxMs. */
export function rawExchange(port: number, bytes: Buffer | string | null, maxMs = 3000): Promise<RawResult> {
  return withTimeout(
    new Promise<RawResult>((resolve) => {
      const t0 = Date.now();
      const c = net.connect({ port, host: '127.0.0.1' });
      const got: Buffer[] = [];
      let how: RawResult['how'] = 'end';
      const timer = setTimeout(() => {
        how = 'timeout';
        c.destroy();
      }, maxMs);
      c.on('connect', () => {
        if (bytes !== null) c.write(bytes);
      });
      c.on('data', (d) => got.push(d));
      c.on('error', () => (how = how === 'timeout' ? how : 'reset'));
      c.on('close', () => {
        clearTimeout(timer);
        resolve({ hex: Buffer.concat(got).toString('hex'), how, ms: Date.now() - t0 });
      });
    }),
    maxMs + 2000,
    'raw exchange',
  );
}

/** The ClientHello a Node client sends for `opts` (captured on a throw-away listener). */
export function captureHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  return withTimeout(
    new Promise<Buffer>((resolve) => {
      const srv = net.createServer((s) => {
        s.once('data', (d) => {
          resolve(d);
          s.destroy();
          srv.close();
        });
      });
      srv.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false, ...opts });
        c.on('error', () => {});
      });
    }),
    3000,
    'capture hello',
  );
}

/**
 * An HTTP/1.1 origin that answers every request with 200 and, as its body,
 * the request head it received: what the proxy forwarded.
 */
export function echoOrigin(port: number): Promise<net.Server> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    let b = '';
    s.on('data', (d) => {
      b += d.toString('latin1');
      const end = b.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = b.slice(0, end + 4);
      b = b.slice(end + 4);
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${head.length}\r\n\r\n${head}`);
    });
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

export function closeServer(s: net.Server | tls.Server | undefined): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((r) => {
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    s.close(() => r());
    setTimeout(r, 500);
  });
}

/** The request head as the origin saw it, from a response body; header names and values. */
export function forwardedHeaders(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of body.split('\r\n').slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) out[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  return out;
}
