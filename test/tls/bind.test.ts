/**
 * TLS termination on bind lines, run on tshaproxy and on HAProxy 2.6 with
 * the same assertions: certificate chosen by SNI, headers the server
 * receives, ALPN answers, strict-sni, client certificates, what a client
 * sees on failures (plain HTTP, timeouts) and the log lines of failed
 * handshakes.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { freePorts, sleep } from '../harness/procs.js';
import { run, subjects, type Run } from '../checks/lib.js';
import { captureHello, closeServer, echoOrigin, forwardedHeaders, makePki, rawExchange, tlsExchange } from './lib.js';

const pki = makePki();

function config(p: number[]): string {
  const k = pki!;
  return `global
    log stdout format raw local0
defaults
    mode http
    log global
    log-format "%ci %ft %sslv %sslc %[ssl_fc_sni] %ST"
    timeout client 1s
    timeout server 5s
    timeout connect 2s
frontend f
    bind 127.0.0.1:${p[1]} ssl crt ${k.a} crt ${k.b} alpn http/1.1
    bind 127.0.0.1:${p[2]} ssl crt ${k.a} crt ${k.b} strict-sni
    bind 127.0.0.1:${p[3]}
    bind 127.0.0.1:${p[4]} ssl crt ${k.a} ssl-max-ver TLSv1.2
    bind 127.0.0.1:${p[5]} ssl crt ${k.a} verify required ca-file ${k.ca}
    http-request redirect scheme https unless { ssl_fc }
    http-request set-header X-SNI %[ssl_fc_sni] if { ssl_fc_has_sni }
    http-request set-header X-Proto %[ssl_fc_protocol]
    http-request set-header X-Cipher %[ssl_fc_cipher]
    http-request set-header X-Alpn %[ssl_fc_alpn] if { ssl_fc_alpn -m found }
    http-request set-header X-Client-DN %[ssl_c_s_dn] if { ssl_c_used }
    http-request set-header X-Client-Verify %[ssl_c_verify]
    option forwardfor
    use_backend bsni if { ssl_fc_sni -i b.example }
    default_backend b
backend b
    server s1 127.0.0.1:${p[0]}
backend bsni
    http-request set-header X-Backend bsni
    server s1 127.0.0.1:${p[0]}
frontend tcpf
    mode tcp
    bind 127.0.0.1:${p[6]} ssl crt ${k.a} alpn h2,http/1.1
    default_backend btcp
backend btcp
    mode tcp
    server s1 127.0.0.1:${p[0]}
`;
}

const GET = 'GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n';

function body(data: string): string {
  const i = data.indexOf('\r\n\r\n');
  return i < 0 ? '' : data.slice(i + 4);
}

describe('TLS on bind lines', { skip: !pki && 'openssl is not installed' }, () => {
  for (const who of subjects()) {
    describe(who, () => {
      let r: Run;
      let origin: net.Server;
      let p: number[];
      before(async () => {
        p = await freePorts(7);
        origin = await echoOrigin(p[0]);
        r = await run(who, config(p), [p[1], p[2], p[3], p[4], p[5], p[6]]);
      });
      after(async () => {
        await r?.stop();
        await closeServer(origin);
      });

      it('an HTTPS request with SNI a.example gets a.example\'s certificate and the server sees the TLS facts', async () => {
        const x = await tlsExchange(p[1], { servername: 'a.example', send: GET });
        assert.equal(x.ok, true);
        assert.equal(x.cn, 'a.example');
        assert.match(x.data, /^HTTP\/1\.1 200 OK\r\n/);
        const h = forwardedHeaders(body(x.data));
        assert.equal(h['x-sni'], 'a.example');
        assert.equal(h['x-proto'], 'TLSv1.3');
        assert.equal(h['x-cipher'], 'TLS_AES_256_GCM_SHA384');
        assert.equal(h['x-alpn'], undefined);
        assert.equal(h['x-forwarded-for'], '127.0.0.1');
        assert.equal(h['x-forwarded-proto'], undefined);
        assert.equal(h['x-client-verify'], '0');
        assert.equal(h['x-client-dn'], undefined);
      });

      it('SNI b.example picks the second certificate and use_backend on ssl_fc_sni', async () => {
        const x = await tlsExchange(p[1], { servername: 'b.example', send: GET });
        assert.equal(x.cn, 'b.example');
        assert.equal(forwardedHeaders(body(x.data))['x-backend'], 'bsni');
      });

      it('a name under a wildcard SAN (x.wild.example) gets that certificate', async () => {
        const x = await tlsExchange(p[1], { servername: 'x.wild.example', send: GET });
        assert.equal(x.cn, 'b.example');
        assert.equal(forwardedHeaders(body(x.data))['x-backend'], undefined);
      });

      it('an unknown server name and a hello without SNI get the first (default) certificate', async () => {
        const x = await tlsExchange(p[1], { servername: 'nowhere.example', send: GET });
        assert.equal(x.cn, 'a.example');
        assert.equal(forwardedHeaders(body(x.data))['x-sni'], 'nowhere.example');
        const y = await tlsExchange(p[1], { send: GET });
        assert.equal(y.cn, 'a.example');
        assert.equal(forwardedHeaders(body(y.data))['x-sni'], undefined);
      });

      it('ALPN: http/1.1 is chosen from h2,http/1.1; a client offering only foo gets no ALPN and goes on', async () => {
        const x = await tlsExchange(p[1], { servername: 'a.example', alpn: ['h2', 'http/1.1'], send: GET });
        assert.equal(x.alpn, 'http/1.1');
        assert.equal(forwardedHeaders(body(x.data))['x-alpn'], 'http/1.1');
        const y = await tlsExchange(p[1], { servername: 'a.example', alpn: ['foo'], send: GET });
        assert.equal(y.ok, true);
        assert.equal(y.alpn, false);
        assert.match(y.data, /^HTTP\/1\.1 200 OK/);
      });

      it('a tcp-mode bind with alpn h2,http/1.1 answers h2 to a client offering both', async () => {
        const x = await tlsExchange(p[6], { alpn: ['http/1.1', 'h2'], send: 'GET / HTTP/1.0\r\n\r\n' });
        assert.equal(x.alpn, 'h2');
        assert.match(x.data, /^HTTP\/1\.1 200 OK/);
      });

      it('strict-sni refuses an unknown name and a hello without SNI with an unrecognized_name alert, then FIN', async () => {
        for (const opts of [{ servername: 'nowhere.example' }, {}]) {
          const hello = await captureHello(opts);
          const x = await rawExchange(p[2], hello);
          assert.equal(x.hex, '15030300020270');
          assert.equal(x.how, 'end');
        }
        const ok = await tlsExchange(p[2], { servername: 'b.example', send: GET });
        assert.equal(ok.cn, 'b.example');
      });

      it('plain HTTP on an ssl port gets no byte and a FIN', async () => {
        const x = await rawExchange(p[1], GET);
        assert.equal(x.hex, '');
        assert.equal(x.how, 'end');
        assert.ok(x.ms < 900, `closed after ${x.ms} ms`);
      });

      it('a plain request on the clear port is redirected to https', async () => {
        const x = await rawExchange(p[3], GET);
        const text = Buffer.from(x.hex, 'hex').toString('latin1');
        assert.match(text, /^HTTP\/1\.1 302 Found\r\n/);
        assert.match(text, /\r\nlocation: https:\/\/a\.example\/x\r\n/);
      });

      it('ssl-max-ver TLSv1.2 negotiates TLSv1.2 with ECDHE-RSA-AES256-GCM-SHA384; a TLSv1.3-only client gets protocol_version', async () => {
        const x = await tlsExchange(p[4], { servername: 'a.example', send: GET });
        assert.equal(x.protocol, 'TLSv1.2');
        assert.equal(x.cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
        assert.equal(forwardedHeaders(body(x.data))['x-cipher'], 'ECDHE-RSA-AES256-GCM-SHA384');
        const y = await tlsExchange(p[4], { minVersion: 'TLSv1.3' });
        assert.equal(y.ok, false);
        assert.match(y.error ?? '', /protocol version/);
      });

      it('verify required: a trusted client certificate is seen by ssl_c_*; none or an unknown one gets no response', async () => {
        const x = await tlsExchange(p[5], { servername: 'a.example', cert: pki!.client, send: GET });
        const h = forwardedHeaders(body(x.data));
        assert.equal(h['x-client-dn'], '/C=FR/O=Org/CN=client1');
        assert.equal(h['x-client-verify'], '0');
        const none = await tlsExchange(p[5], { servername: 'a.example', send: GET });
        assert.equal(none.data, '');
        assert.match(none.error ?? '', /certificate required/);
        const bad = await tlsExchange(p[5], { servername: 'a.example', cert: pki!.stranger, send: GET });
        assert.equal(bad.data, '');
      });

      it('session tickets: two after a full TLS 1.3 handshake, a new one after each resumption, so every later connection resumes', async () => {
        // one connection: whether it resumed, and the tickets the server sent
        const connect = (session?: Buffer) =>
          new Promise<{ reused: boolean; tickets: Buffer[] }>((resolve, reject) => {
            const s = tlsConnect({ port: p[1], host: '127.0.0.1', servername: 'a.example', rejectUnauthorized: false, session });
            const tickets: Buffer[] = [];
            let reused = false;
            const t = setTimeout(() => {
              s.destroy();
              reject(new Error('no answer in 3 s'));
            }, 3000);
            s.on('session', (x: Buffer) => tickets.push(x));
            s.on('secureConnect', () => {
              reused = s.isSessionReused();
              s.write(GET);
            });
            s.on('data', () => {});
            s.on('error', () => {});
            s.on('close', () => {
              clearTimeout(t);
              resolve({ reused, tickets });
            });
          });
        let session: Buffer | undefined;
        const seen: string[] = [];
        for (let i = 0; i < 4; i++) {
          const c = await connect(session);
          seen.push(`${c.reused ? 'resumed' : 'full'}:${c.tickets.length}`);
          // a client that uses each ticket once (as OpenSSL's do) takes the newest
          if (c.tickets.length) session = c.tickets[c.tickets.length - 1];
        }
        assert.deepEqual(seen, ['full:2', 'resumed:1', 'resumed:1', 'resumed:1']);
      });

      it('timeout client bounds the handshake: a silent client is closed after it', async () => {
        const x = await rawExchange(p[1], null, 4000);
        assert.equal(x.how, 'end');
        assert.ok(x.ms >= 900 && x.ms < 2500, `closed after ${x.ms} ms`);
      });

      it('failed handshakes are logged as HAProxy does, and requests show %sslv/%sslc', async () => {
        // the log lines of the exchanges above, plus a client that closes before its hello
        await rawExchange(p[1], Buffer.from([0x16, 3, 1, 0, 0xff, 1]).subarray(0, 3), 200).catch(() => undefined);
        const c = await rawExchange(p[1], null, 100);
        assert.equal(c.how, 'timeout');
        await r.waitLine(/f\/1: Timeout during SSL handshake$/, 3000);
        await sleep(1200);
        const lines = r.lines().map((l) => l.replace(/^127\.0\.0\.1:\d+ \[[^\]]+\]/, 'C [D]'));
        assert.ok(lines.includes('127.0.0.1 f~ TLSv1.3 TLS_AES_256_GCM_SHA384 a.example 200'), lines.join('\n'));
        assert.ok(lines.includes('127.0.0.1 f~ TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 a.example 200'), lines.join('\n'));
        assert.ok(lines.includes('127.0.0.1 f - - - 302'), lines.join('\n'));
        assert.ok(lines.includes('C [D] f/1: SSL handshake failure'), lines.join('\n'));
        assert.ok(lines.includes('C [D] f/2: SSL handshake failure'), lines.join('\n'));
        assert.ok(lines.includes('C [D] f/1: Timeout during SSL handshake'), lines.join('\n'));
        assert.ok(lines.includes('C [D] f/1: Connection closed during SSL handshake'), lines.join('\n'));
      });
    });
  }
});
