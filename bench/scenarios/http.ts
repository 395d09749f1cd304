/** HTTP through each proxy (tshaproxy and HAProxy in `mode http`). */
import { PATHS } from '../lib/origin.js';
import { trafficScenario } from '../lib/scenario.js';

export const keepalive = trafficScenario({
  name: 'keepalive',
  title: 'HTTP keep-alive, small response',
  mode: 'http',
  path: PATHS.small,
  connections: 50,
  primary: 'rps',
  goals: [
    { vs: 'haproxy', op: '>=', ratio: 0.5 },
    { vs: 'node-http-proxy', op: '>=', ratio: 3 },
  ],
});

export const close = trafficScenario({
  name: 'close',
  title: 'HTTP Connection: close (new connection per request)',
  mode: 'http',
  path: PATHS.small,
  headers: ['Connection: close'],
  connections: 50,
  primary: 'rps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.3 }],
});

export const large = trafficScenario({
  name: 'http-64k',
  title: 'HTTP keep-alive, 64 KiB responses',
  mode: 'http',
  path: PATHS.k64,
  connections: 20,
  primary: 'mibps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.7 }],
});

export const tlsClose = trafficScenario({
  name: 'tls-close',
  title: 'HTTPS, a new TLS connection per request (ECDSA P-256 certificate)',
  mode: 'http',
  path: PATHS.small,
  headers: ['Connection: close'],
  connections: 50,
  primary: 'rps',
  goals: [],
  tls: true,
  subjects: ['tshaproxy', 'haproxy'],
});

export const tlsKeepalive = trafficScenario({
  name: 'tls-keepalive',
  title: 'HTTPS keep-alive, small response',
  mode: 'http',
  path: PATHS.small,
  connections: 50,
  primary: 'rps',
  goals: [],
  tls: true,
  subjects: ['tshaproxy', 'haproxy'],
});
