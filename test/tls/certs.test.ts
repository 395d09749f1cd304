/**
 * Where certificates come from and what applies to them, on tshaproxy and
 * HAProxy 2.6: a crt directory (every file, in name order, the first one by
 * default), a crt-list with per-line options and SNI filters, the global
 * ssl-default-bind-* settings, and TLS termination in tcp mode behind a
 * PROXY header with rules on ssl_fc_sni and the PROXY source.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { freePorts, withTimeout } from '../harness/procs.js';
import { run, subjects, type Run } from '../checks/lib.js';
import { nameServer } from '../runtime/lib.js';
import { closeServer, makePki, tlsExchange } from './lib.js';

const pki = makePki();

function config(p: number[]): string {
  const k = pki!;
  const dir = join(k.dir, 'certs');
  mkdirSync(dir, { recursive: true });
  copyFileSync(k.b, join(dir, '20-b.pem'));
  copyFileSync(k.a, join(dir, '10-a.pem'));
  writeFileSync(join(k.dir, 'list.txt'), `# a comment\n${k.a}\n${k.b} [alpn http/1.1 ssl-max-ver TLSv1.2] other.example\n`);
  return `global
    ssl-default-bind-ciphersuites TLS_CHACHA20_POLY1305_SHA256
    ssl-default-bind-options no-tls-tickets
defaults
    mode tcp
    timeout client 2s
    timeout server 2s
    timeout connect 2s
frontend fdir
    bind 127.0.0.1:${p[1]} ssl crt ${dir}
    default_backend one
frontend flist
    bind 127.0.0.1:${p[2]} ssl crt-list ${k.dir}/list.txt
    default_backend one
frontend fpx
    bind 127.0.0.1:${p[3]} accept-proxy ssl crt ${k.a} crt ${k.b}
    use_backend two if { ssl_fc_sni -i b.example } { src 192.0.2.9 }
    default_backend one
backend one
    server s 127.0.0.1:${p[0]}
backend two
    server s 127.0.0.1:${p[4]}
`;
}

/** PROXY v1 header from `src`, then TLS with `servername`; returns what came back after sending `send`. */
function proxiedTls(port: number, src: string, servername: string, send: string): Promise<{ cn?: string; data: string }> {
  return withTimeout(
    new Promise((resolve) => {
      const raw = net.connect(port, '127.0.0.1', () => {
        raw.write(`PROXY TCP4 ${src} 127.0.0.1 40000 443\r\n`);
        const c = tls.connect({ socket: raw, servername, rejectUnauthorized: false });
        let data = '';
        let cn: string | undefined;
        c.on('secureConnect', () => {
          cn = c.getPeerCertificate()?.subject?.CN as string | undefined;
          c.write(send);
        });
        c.on('data', (d) => {
          data += d.toString('latin1');
          c.end();
        });
        c.on('error', () => {});
        c.on('close', () => resolve({ cn, data }));
      });
      raw.on('error', () => {});
    }),
    4000,
    'proxied tls',
  );
}

describe('certificate sources and defaults', { skip: !pki && 'openssl is not installed' }, () => {
  for (const who of subjects()) {
    describe(who, () => {
      let r: Run;
      const servers: net.Server[] = [];
      let p: number[];
      before(async () => {
        p = await freePorts(5);
        servers.push(await nameServer('one', p[0]), await nameServer('two', p[4]));
        r = await run(who, config(p), [p[1], p[2], p[3]]);
      });
      after(async () => {
        await r?.stop();
        for (const s of servers) await closeServer(s);
      });

      it('a crt directory serves every file, the first by name being the default, with the global TLS 1.3 suites', async () => {
        const b = await tlsExchange(p[1], { servername: 'b.example', send: 'hi', maxMs: 1500, closeOnData: true });
        assert.equal(b.cn, 'b.example');
        assert.equal(b.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
        assert.equal(b.data, 'one:hi');
        const none = await tlsExchange(p[1], { send: 'hi', maxMs: 1500, closeOnData: true });
        assert.equal(none.cn, 'a.example');
      });

      it('a crt-list line\'s SNI filter replaces the certificate\'s names and its options apply to it alone', async () => {
        const other = await tlsExchange(p[2], { servername: 'other.example', alpn: ['http/1.1'], send: 'x', maxMs: 1500, closeOnData: true });
        assert.equal(other.cn, 'b.example');
        assert.equal(other.alpn, 'http/1.1');
        assert.equal(other.protocol, 'TLSv1.2');
        const b = await tlsExchange(p[2], { servername: 'b.example', alpn: ['http/1.1'], send: 'x', maxMs: 1500, closeOnData: true });
        assert.equal(b.cn, 'a.example');
        assert.equal(b.alpn, false);
        assert.equal(b.protocol, 'TLSv1.3');
      });

      it('tcp mode behind accept-proxy: the PROXY header comes before TLS, rules see ssl_fc_sni and the PROXY source', async () => {
        const x = await proxiedTls(p[3], '192.0.2.9', 'b.example', 'hello');
        assert.equal(x.cn, 'b.example');
        assert.equal(x.data, 'two:hello');
        const y = await proxiedTls(p[3], '192.0.2.10', 'b.example', 'hello');
        assert.equal(y.data, 'one:hello');
        const z = await proxiedTls(p[3], '192.0.2.9', 'a.example', 'hello');
        assert.equal(z.cn, 'a.example');
        assert.equal(z.data, 'one:hello');
      });
    });
  }
});
