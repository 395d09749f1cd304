/** HTTP mode when servers misbehave: HAProxy's own error responses, their bytes and their timing. */
import { about, http, type Scenario } from '../harness/scenario.js';
import { closeServer, downServer, resetServer, stallServer } from '../harness/servers.js';
import { capture } from './captures.js';

const errors: Scenario = {
  name: 'http-errors: servers that close, reset, stall or are down give 502, 504 and 503',
  servers: [closeServer('closer'), resetServer('resetter'), stallServer('staller'), downServer('dead')],
  config: `
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 300ms
    retries 0

frontend fe
    bind 127.0.0.1:{{fe}}
    use_backend b_close if { path /close }
    use_backend b_reset if { path /reset }
    use_backend b_stall if { path /stall }
    use_backend b_dead if { path /dead }
    default_backend b_none

backend b_close
    server closer 127.0.0.1:{{closer}}
backend b_reset
    server resetter 127.0.0.1:{{resetter}}
backend b_stall
    server staller 127.0.0.1:{{staller}}
backend b_dead
    server dead 127.0.0.1:{{dead}}
backend b_none
`,
  steps: [
    {
      name: 'a server that closes without answering gives 502 with HAProxy page and keeps the client connection open',
      act: http({ path: '/close' }),
      expect: { status: 502, body: capture('err_502.bin').body, server: null, closed: false },
    },
    {
      name: 'a server that resets gives 502',
      act: http({ path: '/reset' }),
      expect: { status: 502, body: capture('err_502.bin').body, closed: false },
    },
    {
      name: 'a server that stalls gives 504 once timeout server (300 ms) expires',
      act: http({ path: '/stall' }),
      expect: { status: 504, body: capture('err_504.bin').body, closed: false, elapsedMs: about(300, 100) },
    },
    {
      name: 'a refused connection with retries 0 gives 503',
      act: http({ path: '/dead' }),
      expect: { status: 503, closed: false },
    },
    {
      name: 'a backend without servers gives 503 with HAProxy page',
      act: http({ path: '/' }),
      expect: { status: 503, body: capture('err_503_noserver.bin').body },
    },
  ],
};

export default [errors];
