/**
 * `set server <b>/<s> addr <ip> [port <port>]` and `set server <b>/<s>
 * health up|down` on the stats socket, on tshaproxy and (when installed)
 * HAProxy 2.6: the replies are HAProxy's (srv_update_addr_port,
 * cli_parse_set_server), and the traffic follows.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cli, closeServer, freePorts, startProxy, subjects, type Proxy } from './lib.js';

const cfg = (sock: string, p: number[]) => `global
    stats socket ${sock} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${p[0]}
    default_backend be

backend be
    server s1 127.0.0.1:${p[1]}
    server s3 127.0.0.1 disabled

backend bc
    server c1 127.0.0.1:${p[1]} check inter 500
`;

/** the body of a GET / through the proxy (the stats lib's cli() reads until the peer closes) */
async function get(port: number): Promise<string> {
  const out = await cli(port, 'GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n');
  return out.slice(out.indexOf('\r\n\r\n') + 4);
}

for (const who of subjects()) {
  describe(`set server addr on ${who}`, () => {
    let px: Proxy;
    const origins: http.Server[] = [];
    let ports: number[] = [];
    before(async () => {
      ports = await freePorts(3);
      for (const [i, name] of [[1, 'A'], [2, 'B']] as const) {
        const o = http.createServer((_q, r) => r.end(name));
        await new Promise<void>((r) => o.listen(ports[i], '127.0.0.1', r));
        origins.push(o);
      }
      px = await startProxy(who, cfg, ports, [ports[0]]);
    });
    after(async () => {
      await px?.stop();
      for (const o of origins) {
        o.closeAllConnections();
        await closeServer(o as unknown as net.Server);
      }
    });

    it('the server moves to the new port, even for a kept-alive client whose server connection is idle, and the reply says what changed', async () => {
      // one client connection: a request, the move, a second request (its idle server connection goes to the old port)
      const c = net.connect(ports[0], '127.0.0.1');
      let got = '';
      c.on('data', (d) => (got += d.toString('latin1')));
      c.on('error', () => {});
      const bodies = () => got.split('\r\n\r\n').slice(1).map((x) => x.slice(0, 1));
      const waitBodies = async (n: number) => {
        const end = Date.now() + 3000;
        while (bodies().length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      };
      try {
        c.write('GET / HTTP/1.1\r\nhost: t\r\n\r\n');
        await waitBodies(1);
        assert.equal(
          await cli(px.sock, `set server be/s1 addr 127.0.0.1 port ${ports[2]}\n`),
          `no need to change the addr, port changed from '${ports[1]}' to '${ports[2]}' by 'stats socket command'\n\n`,
        );
        c.write('GET / HTTP/1.1\r\nhost: t\r\n\r\n');
        await waitBodies(2);
        assert.deepEqual(bodies(), ['A', 'B']);
      } finally {
        c.destroy();
      }
      assert.equal(await get(ports[0]), 'B');
    });

    it('an address that is not an IP, a missing address and a bad port get HAProxy\'s replies', async () => {
      assert.equal(await cli(px.sock, 'set server be/s1 addr bogus\n'), "Invalid addr 'bogus' by 'stats socket command'\n\n");
      assert.equal(await cli(px.sock, 'set server be/s1 addr\n'), 'set server <b>/<s> addr requires an address and optionally a port.\n\n');
      assert.equal(
        await cli(px.sock, 'set server be/s1 addr ::1 port abc\n'),
        "IP changed from '127.0.0.1' to '::1', problem converting port 'abc' to an int by 'stats socket command'\n\n",
      );
      assert.equal(await cli(px.sock, 'set server be/s1 addr 127.0.0.1\n'), "IP changed from '::1' to '127.0.0.1' by 'stats socket command'\n\n");
    });

    it('health down takes a server without checks out of the balancing until health up, with empty replies', async () => {
      const opState = async () => (await cli(px.sock, 'show servers state be\n')).split('\n').find((l) => / s1 /.test(l))!.split(' ')[5];
      assert.equal(await cli(px.sock, 'set server be/s1 health down\n'), '\n');
      assert.equal(await opState(), '0');
      assert.match(await get(ports[0]), /503 Service Unavailable/);
      assert.equal(await cli(px.sock, 'set server be/s1 health up\n'), '\n');
      assert.equal(await opState(), '2');
      assert.equal(await get(ports[0]), 'B');
      assert.equal(await cli(px.sock, 'set server be/s1 health sideways\n'), "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n");
    });

    it('check-port and check-addr move the checks and show in show servers state; errors are HAProxy\'s', async () => {
      const q = (c: string) => cli(px.sock, c + '\n');
      assert.equal(await q('set server be/s1 check-port 80'), 'health checks are not enabled on this server\n');
      assert.equal(await q('set server bc/c1 check-port'), 'set server <b>/<s> check-port requires a port.\n\n');
      assert.equal(await q('set server bc/c1 check-port 12x'), 'provided port is not an integer\n');
      assert.equal(await q('set server bc/c1 check-port 65536'), 'provided port is invalid\n');
      assert.equal(await q('set server bc/c1 check-addr bogus'), "invalid addr 'bogus'\n");
      assert.equal(await q(`set server bc/c1 check-addr 127.0.0.1 port ${ports[2]}`), '\n');
      const line = (await q('show servers state bc')).split('\n').find((l) => / c1 /.test(l))!.split(' ');
      assert.deepEqual(line.slice(21, 23), [String(ports[2]), '127.0.0.1']);
    });

    it('a port map needs a check port of its own; a mapped port may become fixed', async () => {
      assert.equal(
        await cli(px.sock, 'set server be/s1 addr 127.0.0.1 port +5\n'),
        "no need to change the addr, can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive. by 'stats socket command'\n\n",
      );
      assert.equal(
        await cli(px.sock, 'set server be/s3 addr 127.0.0.2 port 80\n'),
        "IP changed from '127.0.0.1' to '127.0.0.2', port changed from '+0' to '80' by 'stats socket command'\n\n",
      );
    });
  });
}
