/**
 * Seed article 000 ("Free your port 80 with HAProxy"): Comet subscriptions
 * go to the Twisted PubSub server when both the path starts with
 * /subscriptions/channel/ and the Host is notes.olivepeak.com (hdr_dom);
 * everything else goes to Apache. Config: test/fixtures/seeds/000-comet-repaired.cfg
 * with its ports replaced by placeholders.
 */
import { http, raw, type Scenario } from '../harness/scenario.js';
import { httpServer } from '../harness/servers.js';
import { capture } from './captures.js';

const host = (h: string) => ({ host: h });

const comet: Scenario = {
  name: 'seed-000 comet: path_beg + hdr_dom(host) route subscriptions to pubsubs, the rest to apaches',
  servers: [httpServer('apache1'), httpServer('twisted1')],
  config: `
backend apaches
mode http
timeout connect 10s
timeout server 30s
balance roundrobin
server apache1 127.0.0.1:{{apache1}} weight 1 maxconn 512

backend pubsubs
mode http
timeout connect 5s
timeout server 5m
balance roundrobin
server twisted1 127.0.0.1:{{twisted1}} weight 1 maxconn 10000

frontend http_proxy
bind 127.0.0.1:{{fe}}
mode http
timeout client 5m
option forwardfor
default_backend apaches
acl req_pubsub_path path_beg /subscriptions/channel/
acl req_notes hdr_dom(host) -i notes.olivepeak.com
use_backend pubsubs if req_pubsub_path req_notes
`,
  steps: [
    {
      name: 'a subscription path with Host notes.olivepeak.com reaches twisted1 with X-Forwarded-For added',
      act: http({ path: '/subscriptions/channel/42', headers: host('notes.olivepeak.com') }),
      expect: {
        status: 200,
        server: 'twisted1',
        closed: false,
        received: { line: 'GET /subscriptions/channel/42 HTTP/1.1', headers: { host: 'notes.olivepeak.com', 'x-forwarded-for': '127.0.0.1' } },
      },
    },
    {
      name: 'hdr_dom matches a Host with a port (notes.olivepeak.com:80)',
      act: http({ path: '/subscriptions/channel/42', headers: host('notes.olivepeak.com:80') }),
      expect: { status: 200, server: 'twisted1' },
    },
    {
      name: 'hdr_dom -i ignores case (NOTES.OlivePeak.COM)',
      act: http({ path: '/subscriptions/channel/42', headers: host('NOTES.OlivePeak.COM') }),
      expect: { status: 200, server: 'twisted1' },
    },
    {
      name: 'hdr_dom matches the domain inside a longer name (www.notes.olivepeak.com)',
      act: http({ path: '/subscriptions/channel/1', headers: host('www.notes.olivepeak.com') }),
      expect: { status: 200, server: 'twisted1' },
    },
    {
      name: 'hdr_dom does not match a name that only contains the text (xnotes.olivepeak.com)',
      act: http({ path: '/subscriptions/channel/1', headers: host('xnotes.olivepeak.com') }),
      expect: { status: 200, server: 'apache1' },
    },
    {
      name: 'the subscription path with another Host goes to apache1',
      act: http({ path: '/subscriptions/channel/42', headers: host('www.example.com') }),
      expect: { status: 200, server: 'apache1' },
    },
    {
      name: 'another path with Host notes.olivepeak.com goes to apache1',
      act: http({ path: '/notes/1', headers: host('notes.olivepeak.com') }),
      expect: { status: 200, server: 'apache1' },
    },
    {
      name: 'path_beg is not fooled by the prefix without its final slash (/subscriptions/channel)',
      act: http({ path: '/subscriptions/channel', headers: host('notes.olivepeak.com') }),
      expect: { status: 200, server: 'apache1' },
    },
    {
      name: 'a POST body reaches the server unchanged',
      act: http({ method: 'POST', path: '/subscriptions/channel/9', headers: [['host', 'notes.olivepeak.com'], ['content-type', 'text/plain']], body: 'hello\r\nworld' }),
      expect: { status: 200, server: 'twisted1', received: { body: 'hello\r\nworld', headers: { 'content-length': '12' } } },
    },
    {
      name: 'on a kept-alive connection the first request goes to apache1 and the connection stays open',
      act: http({ conn: 'ka', path: '/', headers: host('notes.olivepeak.com') }),
      expect: { status: 200, server: 'apache1', closed: false },
    },
    {
      name: 'the second request on that connection is routed on its own and reaches twisted1',
      act: http({ conn: 'ka', path: '/subscriptions/channel/7', headers: host('notes.olivepeak.com') }),
      expect: { status: 200, server: 'twisted1', closed: false },
    },
    {
      name: 'a request with Connection: close gets its response and the connection closed',
      act: http({ path: '/', headers: [['host', 'notes.olivepeak.com'], ['connection', 'close']] }),
      expect: { status: 200, server: 'apache1', closed: true },
    },
    {
      name: 'a header line without a colon gets HAProxy 400 page and the connection closed',
      act: raw({ send: 'GET / HTTP/1.1\r\nhost: notes.olivepeak.com\r\nthis is not a header\r\n\r\n' }),
      expect: { status: 400, body: capture('err_400_badheader.bin').body, closed: true, server: null },
    },
  ],
};

export default [comet];
