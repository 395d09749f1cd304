/**
 * The floor of tshaproxy's I/O layer, for profiling: accepts, connects one
 * origin connection per client, and on each client read sends one fixed
 * request to the origin; each origin read is copied back to the client. No
 * parsing, no rules, no timers: what is left is src/runtime/io/direct.ts
 * (shared reads, batched writes) and Node's event loop. Not a bench subject
 * (it answers only GET / with whatever the origin sends).
 *   node direct-floor.js LISTEN_PORT ORIGIN_PORT
 */
import * as net from 'node:net';
import { directReader, directWrite, directWriteLatin1 } from '../../src/runtime/io/direct.js';

const [listenPort, originPort] = process.argv.slice(2).map(Number);
const REQ = `GET / HTTP/1.1\r\nhost: 127.0.0.1:${originPort}\r\n\r\n`;

const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (client) => {
  const origin = net.connect({ port: originPort, host: '127.0.0.1', noDelay: true });
  origin.on('connect', () => {
    // the origin's bytes lie in the shared read buffer: copied before they are batched
    directReader(origin, (b) => void directWrite(client, Buffer.from(b)), true);
    directReader(client, () => void directWriteLatin1(origin, REQ), true);
    client.resume();
  });
  client.on('error', () => origin.destroy());
  origin.on('error', () => client.destroy());
  client.on('close', () => origin.destroy());
  origin.on('close', () => client.destroy());
});
server.listen({ port: listenPort, host: '127.0.0.1', backlog: 4096 });
process.on('SIGTERM', () => process.exit(0));
