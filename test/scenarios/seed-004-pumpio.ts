/**
 * Seed article 004 (pump.io behind HAProxy): TLS passed through in tcp mode
 * and routed by SNI (req_ssl_hello_type, req_ssl_sni, use-server on a
 * weight-0 server), and an HTTP backend with `cookie JSESSIONID prefix`.
 * Config: test/fixtures/seeds/004-pumpio-repaired.cfg on placeholder ports
 * (pidfile in the run's temp dir).
 */
import { http, raw, tcp, tlsHello, type Scenario } from '../harness/scenario.js';
import { httpServer, tlsServer, type ReceivedRequest } from '../harness/servers.js';

const config = `
global
    pidfile     {{tmp}}/haproxy.pid
    maxconn     4000

defaults
    log                     global
    option                  httplog
    option                  dontlognull
    option http-server-close
    option forwardfor       except 127.0.0.0/8
    option                  redispatch
    retries                 3
    timeout http-request    10s
    timeout queue           1m
    timeout connect         10s
    timeout client          1m
    timeout server          1m
    timeout http-keep-alive 10s
    timeout check           10s
    maxconn                 3000

frontend http-in
    bind 127.0.0.1:{{http}}
    mode http
    default_backend servers

frontend https-in
    bind 127.0.0.1:{{https}}
    mode tcp
    option tcplog
    option socket-stats

    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }

    use_backend pumpio-ssl if { req_ssl_sni -i pump2.thisshitistemp.com }
    default_backend servers-ssl

backend servers
    mode http
    option httpclose
    option forwardfor
    cookie JSESSIONID prefix

    server server1 127.0.0.1:{{server1}} cookie A check

backend servers-ssl
    server server-ssl1 127.0.0.1:{{server-ssl1}} check

backend pumpio-ssl
    use-server pump if { req_ssl_sni -i pump2.thisshitistemp.com }
    server pump 127.0.0.1:{{pump}} weight 0
`;

const app = (req: ReceivedRequest) =>
  req.path === '/login' ? { headers: [['set-cookie', 'JSESSIONID=abc123; Path=/']] as [string, string][] } : {};

const sni: Scenario = {
  name: 'seed-004 sni: tcp-mode TLS pass-through routed by req_ssl_sni to a weight-0 server by use-server',
  servers: [httpServer('server1', { reply: app }), tlsServer('server-ssl1'), tlsServer('pump')],
  config,
  steps: [
    {
      name: 'a TLS hello with SNI pump2.thisshitistemp.com reaches pump, TLS ending at the server',
      act: tlsHello({ port: 'https', servername: 'pump2.thisshitistemp.com' }),
      expect: { server: 'pump', data: 'server=pump sni=pump2.thisshitistemp.com\n' },
    },
    {
      name: 'req_ssl_sni -i ignores case (PUMP2.ThisShitIsTemp.com)',
      act: tlsHello({ port: 'https', servername: 'PUMP2.ThisShitIsTemp.com' }),
      expect: { server: 'pump' },
    },
    {
      name: 'another SNI goes to the default backend servers-ssl',
      act: tlsHello({ port: 'https', servername: 'www.thisshitistemp.com' }),
      expect: { server: 'server-ssl1', data: 'server=server-ssl1 sni=www.thisshitistemp.com\n' },
    },
    {
      name: 'a TLS hello without SNI goes to servers-ssl',
      act: tlsHello({ port: 'https' }),
      expect: { server: 'server-ssl1', data: 'server=server-ssl1 sni=-\n' },
    },
    {
      name: 'plain bytes that are no TLS hello are forwarded at once (no 5 s inspect wait) to servers-ssl, whose TLS server closes',
      act: tcp({ port: 'https', send: 'GET / HTTP/1.0\r\n\r\n', waitMs: 7000 }),
      timeoutMs: 8000,
      expect: { data: '', closed: true, elapsedMs: { max: 1000 } },
    },
  ],
};

const cookie: Scenario = {
  name: 'seed-004 cookie: cookie JSESSIONID prefix adds the server cookie to the application cookie and strips it on the way back',
  servers: [httpServer('server1', { reply: app }), tlsServer('server-ssl1'), tlsServer('pump')],
  config,
  steps: [
    {
      name: "the application's Set-Cookie JSESSIONID=abc123 reaches the client as JSESSIONID=A~abc123",
      act: http({ port: 'http', path: '/login' }),
      expect: { status: 200, server: 'server1', headers: { 'set-cookie': 'JSESSIONID=A~abc123; Path=/' } },
    },
    {
      name: 'the client cookie JSESSIONID=A~abc123 reaches server1 as JSESSIONID=abc123',
      act: http({ port: 'http', path: '/', headers: { host: 'pump.example', cookie: 'JSESSIONID=A~abc123' } }),
      expect: { status: 200, server: 'server1', received: { headers: { cookie: 'JSESSIONID=abc123' } } },
    },
    {
      name: 'a cookie with an unknown server prefix is served by server1 and still loses its prefix',
      act: http({ port: 'http', path: '/', headers: { host: 'pump.example', cookie: 'JSESSIONID=Z~abc123; other=1' } }),
      expect: { status: 200, server: 'server1', received: { headers: { cookie: 'JSESSIONID=abc123; other=1' } } },
    },
    {
      name: 'a request without the cookie is served by server1 and gets no cookie',
      act: http({ port: 'http', path: '/' }),
      expect: { status: 200, server: 'server1', headers: { 'set-cookie': null } },
    },
    {
      name: 'no X-Forwarded-For reaches the server for a 127.0.0.1 client (defaults: option forwardfor except 127.0.0.0/8)',
      act: http({ port: 'http', path: '/' }),
      expect: { status: 200, received: { headers: { 'x-forwarded-for': null } } },
    },
    {
      name: 'option httpclose: the server is sent Connection: close, the client connection stays open',
      act: raw({ port: 'http', send: 'GET / HTTP/1.1\r\nhost: pump.example\r\n\r\n', closeWaitMs: 300 }),
      expect: { status: 200, received: { headers: { connection: 'close' } }, headers: { connection: null }, closed: false },
    },
  ],
};

export default [sni, cookie];
