/**
 * Seed article 002 (HAProxy + Wt): session affinity by URL (wtd=wt1 / wt2)
 * while the affine backend has a server up, round robin otherwise, over
 * servers that track the checked ones. Config: test/fixtures/seeds/002-wt-repaired.cfg
 * on placeholder ports, with `check inter 200` so that failover is quick.
 */
import { http, pause, startServer, stopServer, type Scenario } from '../harness/scenario.js';
import { httpServer } from '../harness/servers.js';

const wt: Scenario = {
  name: 'seed-002 wt: url_sub affinity with nbsrv(bck1) gt 0, tracked servers, failover and recovery',
  servers: [httpServer('srv1'), httpServer('srv2')],
  config: `
global
    maxconn 4096

defaults
    log    global
    mode    http
    option    httplog
    option    dontlognull
    retries    3
    option redispatch
    maxconn    10000
    timeout connect 5000
    timeout client 50000
    timeout server 50000

frontend wt
        bind 127.0.0.1:{{fe}}
        acl srv1 url_sub wtd=wt1
        acl srv2 url_sub wtd=wt2
        acl srv1_up nbsrv(bck1) gt 0
        acl srv2_up nbsrv(bck2) gt 0
        use_backend bck1 if srv1_up srv1
        use_backend bck2 if srv2_up srv2
        default_backend bck_lb

backend bck_lb
        balance roundrobin
        server srv1 127.0.0.1:{{srv1}} track bck1/srv1
        server srv2 127.0.0.1:{{srv2}} track bck2/srv2

backend bck1
        balance roundrobin
        server srv1 127.0.0.1:{{srv1}} check inter 200

backend bck2
        balance roundrobin
        server srv2 127.0.0.1:{{srv2}} check inter 200
`,
  steps: [
    { name: 'a URL with wtd=wt1 goes to srv1', act: http({ path: '/app?wtd=wt1AbCd' }), expect: { status: 200, server: 'srv1' } },
    { name: 'a URL with wtd=wt2 goes to srv2', act: http({ path: '/app?wtd=wt2EfGh&x=1' }), expect: { status: 200, server: 'srv2' } },
    { name: 'wtd=wt2 anywhere in the URL (the path) counts too', act: http({ path: '/wtd=wt2/x' }), expect: { status: 200, server: 'srv2' } },
    { name: 'a URL without a session goes round robin: first srv1', act: http({ path: '/' }), expect: { status: 200, server: 'srv1' } },
    { name: 'a URL without a session goes round robin: then srv2', act: http({ path: '/' }), expect: { status: 200, server: 'srv2' } },
    { name: 'srv1 stops', act: stopServer('srv1') },
    { name: 'its checks fail for 3 x 200 ms', act: pause(1500), timeoutMs: 3000 },
    {
      name: 'once srv1 is down, a wt1 URL falls back to bck_lb, whose srv1 tracks the down one, so srv2 answers',
      act: http({ path: '/app?wtd=wt1AbCd' }),
      expect: { status: 200, server: 'srv2' },
    },
    { name: 'URLs without a session all go to srv2', act: http({ path: '/' }), expect: { status: 200, server: 'srv2' } },
    { name: 'srv1 starts again', act: startServer('srv1') },
    { name: 'its checks succeed twice', act: pause(1200), timeoutMs: 3000 },
    { name: 'once srv1 is back up, a wt1 URL goes to srv1 again', act: http({ path: '/app?wtd=wt1AbCd' }), expect: { status: 200, server: 'srv1' } },
  ],
};

export default [wt];
