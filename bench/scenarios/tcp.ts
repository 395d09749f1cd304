/** Pass-through: tshaproxy and HAProxy in `mode tcp` (HTTP traffic, not parsed by the proxy). */
import { PATHS } from '../lib/origin.js';
import { trafficScenario } from '../lib/scenario.js';

export const tcpKeepalive = trafficScenario({
  name: 'tcp-keepalive',
  title: 'mode tcp, keep-alive small response',
  mode: 'tcp',
  path: PATHS.small,
  connections: 50,
  primary: 'rps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.8 }],
  sameDirectAs: 'keepalive',
});

export const tcp64k = trafficScenario({
  name: 'tcp-64k',
  title: 'mode tcp, 64 KiB transfers',
  mode: 'tcp',
  path: PATHS.k64,
  connections: 20,
  sameDirectAs: 'http-64k',
  primary: 'mibps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.8 }],
});

export const tcp1m = trafficScenario({
  name: 'tcp-1m',
  title: 'mode tcp, 1 MiB transfers',
  mode: 'tcp',
  path: PATHS.m1,
  connections: 10,
  primary: 'mibps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.8 }],
});

export const tcpConnRate = trafficScenario({
  name: 'tcp-connrate',
  title: 'mode tcp, one short request-response per connection (conn/s)',
  mode: 'tcp',
  path: PATHS.small,
  headers: ['Connection: close'],
  connections: 50,
  sameDirectAs: 'close',
  primary: 'rps',
  goals: [{ vs: 'haproxy', op: '>=', ratio: 0.3 }],
});
