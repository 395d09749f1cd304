/**
 * node-http-proxy (npm `http-proxy`) with a keep-alive agent to the origin: the
 * common way to write a reverse proxy in Node, as the bench's Node baseline.
 * WebSocket upgrades (`ws: true`) are passed to the origin and tunnelled.
 *   node node-http-proxy.js LISTEN_PORT ORIGIN_PORT
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const [listenPort, originPort] = process.argv.slice(2).map(Number);

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${originPort}`, agent, ws: true });
proxy.on('error', (_err, _req, res) => {
  // res is a ServerResponse for web requests, the client socket for WebSocket ones
  const r = res as import('node:http').ServerResponse;
  if (!r.headersSent && typeof r.writeHead === 'function') r.writeHead(502);
  r.end();
});
const server = createServer((req, res) => proxy.web(req, res));
server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
server.keepAliveTimeout = 120_000;
server.listen({ port: listenPort, host: '127.0.0.1', backlog: 4096 });
process.on('SIGTERM', () => process.exit(0));
