/** Basic tcp-mode forwarding: round robin, a dead server, half-close. */
import { about, tcp, type Scenario } from '../harness/scenario.js';
import { downServer, tcpServer } from '../harness/servers.js';

export const tcpRoundRobin: Scenario = {
  name: 'tcp-rr: a tcp listener balances connections round robin over two servers',
  servers: [tcpServer('s1'), tcpServer('s2')],
  config: `
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s

listen tcp_rr
    bind 127.0.0.1:{{fe}}
    balance roundrobin
    server s1 127.0.0.1:{{s1}}
    server s2 127.0.0.1:{{s2}}
`,
  steps: [
    { name: 'the first connection reaches s1', act: tcp({ until: { text: '\n' } }), expect: { server: 's1', data: 'server=s1\n' } },
    { name: 'the second connection reaches s2', act: tcp({ until: { text: '\n' } }), expect: { server: 's2' } },
    { name: 'the third connection reaches s1 again', act: tcp({ until: { text: '\n' } }), expect: { server: 's1' } },
    {
      name: 'bytes sent are echoed back by the server through the proxy',
      act: tcp({ send: 'ping\n', until: { text: 'ping\n' } }),
      expect: { data: 'server=s2\nping\n', closed: false },
    },
  ],
};

export const tcpServerDown: Scenario = {
  name: 'tcp-down: a connection to a backend whose only server refuses is closed without data',
  servers: [downServer('dead')],
  config: `
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s

listen tcp_down
    bind 127.0.0.1:{{fe}}
    server dead 127.0.0.1:{{dead}}
`,
  steps: [
    {
      name: 'the proxy closes the client connection without sending anything once 3 retries 1 s apart have failed',
      act: tcp({ send: 'hello\n', waitMs: 6000 }),
      timeoutMs: 8000,
      expect: { data: '', closed: true, error: null, elapsedMs: about(3000, 300) },
    },
  ],
};

export const tcpHalfClose: Scenario = {
  name: 'tcp-halfclose: a client half-close reaches the server, which can still answer',
  servers: [tcpServer('s1', { banner: false })],
  config: `
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s

listen tcp_half
    bind 127.0.0.1:{{fe}}
    server s1 127.0.0.1:{{s1}}
`,
  steps: [
    {
      name: 'after the client sends 5 bytes and its FIN, the server sees EOF, answers, and the connection closes',
      act: tcp({ send: 'hello', halfClose: true }),
      expect: { data: 'helloserver=s1 eof after 5 bytes\n', closed: true, error: null },
    },
  ],
};

export default [tcpRoundRobin, tcpServerDown, tcpHalfClose];
