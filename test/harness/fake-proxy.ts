/**
 * A stand-in "proxy" for testing the harness itself: forwards TCP from the
 * first `bind 127.0.0.1:PORT` of a config to its first `server ... 127.0.0.1:PORT`.
 * With --alter it adds an `x-altered: yes` header after `x-server` lines in
 * what the server sends back, so that it differs on purpose.
 *
 *   node dist/test/harness/fake-proxy.js CFG [--alter]
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

function serve(cfgPath: string, alter: boolean): void {
  const cfg = readFileSync(cfgPath, 'utf8');
  const bind = /^\s*bind\s+127\.0\.0\.1:(\d+)/m.exec(cfg);
  const server = /^\s*server\s+\S+\s+127\.0\.0\.1:(\d+)/m.exec(cfg);
  if (!bind || !server) {
    process.stderr.write('fake-proxy: no bind or server line\n');
    process.exit(1);
  }
  const up = Number(server[1]);
  net
    .createServer({ allowHalfOpen: true }, (c) => {
      const s = net.connect({ port: up, host: '127.0.0.1', allowHalfOpen: true });
      c.on('error', () => s.destroy());
      s.on('error', () => c.destroy());
      c.pipe(s);
      if (!alter) s.pipe(c);
      else {
        s.on('data', (d: Buffer) => c.write(Buffer.from(d.toString('latin1').replace(/(x-server: [^\r]*\r\n)/g, '$1x-altered: yes\r\n'), 'latin1')));
        s.on('end', () => c.end());
      }
    })
    .listen(Number(bind[1]), '127.0.0.1');
}

// node --test executes every file under dist/test/ (without arguments): serve only when given a config.
if (process.argv[2]) serve(process.argv[2], process.argv.includes('--alter'));
