/**
 * Seed article 001 (WebSocket behind HAProxy by Host): Host ending in
 * io.test.tld goes to the node (WebSocket) backend, the rest to www.
 * Config: test/fixtures/seeds/001-websocket-repaired.cfg on placeholder ports.
 */
import { http, ws, type Scenario } from '../harness/scenario.js';
import { httpServer, wsServer } from '../harness/servers.js';

const websocket: Scenario = {
  name: 'seed-001 websocket: hdr_end(host) sends io.test.tld (WebSocket) to node_backend',
  servers: [httpServer('www_test'), wsServer('io_test')],
  config: `
global
    maxconn 4096

defaults
    log global

frontend http-in
    mode http
    bind 127.0.0.1:{{fe}}
    timeout client 86400000
    default_backend www_backend
    acl websocket hdr_end(host) -i io.test.tld
    use_backend node_backend if websocket

backend www_backend
    mode http
    timeout server 86400000
    timeout connect 5000
    server www_test 127.0.0.1:{{www_test}}

backend node_backend
    mode http
    timeout server 86400000
    timeout connect 5000
    server io_test 127.0.0.1:{{io_test}}
`,
  steps: [
    {
      name: 'a WebSocket upgrade with Host io.test.tld gets 101 from io_test and its message echoed',
      act: ws({ host: 'io.test.tld', path: '/socket.io/', message: 'hello over websocket' }),
      expect: { status: 101, server: 'io_test', headers: { upgrade: 'websocket', connection: 'Upgrade' }, data: 'hello over websocket' },
    },
    {
      name: 'a plain request with Host io.test.tld also goes to io_test',
      act: http({ headers: { host: 'io.test.tld' } }),
      expect: { status: 200, server: 'io_test' },
    },
    {
      name: 'hdr_end matches a Host that ends with it (chat.io.test.tld)',
      act: ws({ host: 'chat.io.test.tld', message: 'x' }),
      expect: { status: 101, server: 'io_test', data: 'x' },
    },
    {
      name: 'hdr_end -i ignores case (IO.Test.TLD)',
      act: http({ headers: { host: 'IO.Test.TLD' } }),
      expect: { status: 200, server: 'io_test' },
    },
    {
      name: 'a Host with a port (io.test.tld:80) does not end with io.test.tld and goes to www_test',
      act: http({ headers: { host: 'io.test.tld:80' } }),
      expect: { status: 200, server: 'www_test' },
    },
    {
      name: 'an upgrade request with another Host goes to www_test, which answers 200 without upgrading',
      act: ws({ host: 'www.test.tld', message: 'x' }),
      expect: { status: 200, server: 'www_test' },
    },
  ],
};

export default [websocket];
