/**
 * The reference for what plain Node can do: accept, connect to the origin, pipe both
 * ways. No parsing, no timeouts, one upstream connection per client connection.
 *   node net-pipe.js LISTEN_PORT ORIGIN_PORT
 */
import { connect, createServer, type Socket } from 'node:net';

const [listenPort, originPort] = process.argv.slice(2).map(Number);

const server = createServer({ noDelay: true }, (client: Socket) => {
  const upstream = connect({ port: originPort, host: '127.0.0.1', noDelay: true });
  const drop = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', drop);
  upstream.on('error', drop);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen({ port: listenPort, host: '127.0.0.1', backlog: 4096 });
process.on('SIGTERM', () => process.exit(0));
