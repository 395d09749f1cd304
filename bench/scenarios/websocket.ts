/**
 * WebSocket messages/s through the proxy (HTTP upgrade, then tunnelled frames).
 * Needs a WebSocket echo origin (nginx has none built in: a small Node echo server
 * on raw sockets) and a frame-pumping client; both join when tshaproxy's HTTP
 * engine handles Upgrade. Until then it reports "not yet".
 */
import { stubScenario } from '../lib/scenario.js';

export const websocket = stubScenario(
  'websocket',
  'WebSocket echo, messages/s',
  'rps',
  [],
  'needs a WebSocket echo origin and client; waits for HTTP Upgrade in tshaproxy',
);
