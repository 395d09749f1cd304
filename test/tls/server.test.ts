/**
 * TLS toward servers (`server ... ssl`), on tshaproxy and HAProxy 2.6: what
 * a TLS origin sees (SNI from an expression, ALPN, the client certificate,
 * the version), certificate checks with verify required, and the ssl_bc_*
 * fetches.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { freePorts } from '../harness/procs.js';
import { run, subjects, type Run } from '../checks/lib.js';
import { closeServer, makePki, rawExchange } from './lib.js';

const pki = makePki();

/** Reads a PROXY v1 line, notes it, then relays the rest (the TLS bytes) to `to`. */
function proxyStripper(port: number, to: number, seen: string[]): Promise<net.Server> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      s.removeListener('data', onData);
      seen.push(buf.toString('latin1', 0, eol));
      const u = net.connect(to, '127.0.0.1', () => u.write(buf.subarray(eol + 2)));
      u.on('error', () => s.destroy());
      s.on('close', () => u.destroy());
      s.pipe(u).pipe(s);
    };
    s.on('data', onData);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/** A TLS origin answering each request with what it saw of the TLS session. */
function tlsOrigin(port: number): Promise<tls.Server> {
  const k = pki!;
  const srv = tls.createServer(
    {
      cert: readFileSync(k.a),
      key: readFileSync(k.a),
      ca: readFileSync(k.ca),
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      minVersion: 'TLSv1.2',
    },
    (s) => {
      s.on('error', () => {});
      let b = '';
      s.on('data', (d) => {
        b += d.toString('latin1');
        if (!b.includes('\r\n\r\n')) return;
        b = '';
        const cert = s.getPeerCertificate();
        const seen = `sni=${s.servername || '-'} alpn=${s.alpnProtocol || '-'} cert=${cert?.subject?.CN ?? '-'} proto=${s.getProtocol()}`;
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${seen.length}\r\n\r\n${seen}`);
      });
    },
  );
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

function config(p: number[]): string {
  const k = pki!;
  return `defaults
    mode http
    timeout client 3s
    timeout server 3s
    timeout connect 2s
frontend f
    bind 127.0.0.1:${p[1]}
    use_backend b2 if { path_beg /b2 }
    use_backend b3 if { path_beg /b3 }
    use_backend b4 if { path_beg /b4 }
    use_backend b5 if { path_beg /b5 }
    use_backend b6 if { path_beg /b6 }
    default_backend b1
backend b1
    http-response set-header X-BC %[ssl_bc]/%[ssl_bc_protocol]/%[ssl_bc_cipher]
    server s1 127.0.0.1:${p[0]} ssl verify none
backend b2
    server s1 127.0.0.1:${p[0]} ssl verify required ca-file ${k.ca} sni req.hdr(host) alpn http/1.1 crt ${k.client}
backend b3
    retries 0
    server s1 127.0.0.1:${p[0]} ssl verify required ca-file ${k.ca} sni str(wrong.example)
backend b4
    server s1 127.0.0.1:${p[0]} ssl verify required ca-file ${k.ca}
backend b5
    server s1 127.0.0.1:${p[0]} ssl verify none ssl-max-ver TLSv1.2 sni str(b5.example)
backend b6
    server s1 127.0.0.1:${p[2]} ssl verify none send-proxy
`;
}

async function get(port: number, path: string): Promise<{ status: string; body: string; head: string }> {
  const x = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n`, 5000);
  const text = Buffer.from(x.hex, 'hex').toString('latin1');
  const i = text.indexOf('\r\n\r\n');
  return { status: text.slice(0, text.indexOf('\r\n')), head: text.slice(0, i), body: text.slice(i + 4) };
}

describe('TLS toward servers', { skip: !pki && 'openssl is not installed' }, () => {
  for (const who of subjects()) {
    describe(who, () => {
      let r: Run;
      let origin: tls.Server;
      let stripper: net.Server;
      const proxyLines: string[] = [];
      let p: number[];
      before(async () => {
        p = await freePorts(3);
        origin = await tlsOrigin(p[0]);
        stripper = await proxyStripper(p[2], p[0], proxyLines);
        r = await run(who, config(p), [p[1]]);
      });
      after(async () => {
        await r?.stop();
        await closeServer(origin);
        await closeServer(stripper);
      });

      it('ssl verify none sends no SNI, no ALPN, no certificate, and ssl_bc_* describe the connection', async () => {
        const x = await get(p[1], '/b1');
        assert.equal(x.status, 'HTTP/1.1 200 OK');
        assert.equal(x.body, 'sni=- alpn=- cert=- proto=TLSv1.3');
        assert.match(x.head, /\r\nx-bc: 1\/TLSv1\.3\/TLS_AES_256_GCM_SHA384(\r\n|$)/);
      });

      it('sni req.hdr(host), alpn and crt reach the server; verify required passes with the CA', async () => {
        const x = await get(p[1], '/b2');
        assert.equal(x.body, 'sni=a.example alpn=http/1.1 cert=client1 proto=TLSv1.3');
      });

      it('a certificate that does not match the SNI sent fails verification: 503', async () => {
        const x = await get(p[1], '/b3');
        assert.equal(x.status, 'HTTP/1.1 503 Service Unavailable');
      });

      it('verify required without sni checks the chain only', async () => {
        const x = await get(p[1], '/b4');
        assert.equal(x.body, 'sni=- alpn=- cert=- proto=TLSv1.3');
      });

      it('ssl-max-ver TLSv1.2 on the server line', async () => {
        const x = await get(p[1], '/b5');
        assert.equal(x.body, 'sni=b5.example alpn=- cert=- proto=TLSv1.2');
      });

      it('send-proxy goes out in clear before the TLS handshake', async () => {
        const x = await get(p[1], '/b6');
        assert.equal(x.body, 'sni=- alpn=- cert=- proto=TLSv1.3');
        assert.match(proxyLines[0] ?? '', /^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+$/);
      });
    });
  }
});
