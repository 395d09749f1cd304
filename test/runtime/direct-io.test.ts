/**
 * src/runtime/io/direct.ts on real loopback sockets: reads reach the reader,
 * EOF and errors still come through the net.Socket, writes stay in order with
 * socket.write, backpressure gives 'drain', and a socket handed back (reader
 * null) gives 'data' events again. Shared reads: every socket reads into one
 * buffer; what is kept is copied, and writes never leave libuv a pointer to it.
 * Write batching: small writes wait for the end of the loop turn, and every
 * other way out of the socket (write, end, destroy, reset) sends them first.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import {
  bytesOut,
  directIo,
  directReader,
  directWrite,
  directWriteLatin1,
  directWritev,
  isShared,
  own,
  pauseReads,
  resumeReads,
} from '../../src/runtime/io/direct.js';
import { nowMs } from '../../src/runtime/io/clock.js';

/** a connected pair: `a` is the client socket, `b` the accepted one (allowHalfOpen, paused like the listener's) */
async function pair(): Promise<{ a: net.Socket; b: net.Socket; close(): void }> {
  const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = once(srv, 'connection');
  const a = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(a, 'connect');
  const [b] = (await accepted) as [net.Socket];
  return {
    a,
    b,
    close() {
      a.destroy();
      b.destroy();
      srv.close();
    },
  };
}

function collect(s: net.Socket): { text: () => string; ended: Promise<unknown> } {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(Buffer.from(d)));
  return { text: () => Buffer.concat(parts).toString('latin1'), ended: once(s, 'end') };
}

/** resolves once `cond` holds (polled; callers bound it with within) */
function until(cond: () => boolean): Promise<void> {
  return new Promise((r) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        r();
      }
    }, 2);
    // a condition that never holds must not keep the process alive (within() fails the test)
    t.unref();
  });
}

/** `a` (paused, `b`'s peer) starts reading: `b` must say 'drain', and every byte written must arrive */
async function drainedThenAll(a: net.Socket, b: net.Socket, total: number): Promise<void> {
  let received = 0;
  a.on('data', (d: Buffer) => (received += d.length));
  const drained = once(b, 'drain');
  a.resume();
  await within(drained);
  b.end();
  await within(once(a, 'end'));
  assert.equal(received, total);
}

function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}

describe('direct socket I/O', () => {
  test('the binding is found on this Node version', () => {
    assert.equal(directIo, true);
  });

  test('bytes read go to the reader, and the peer FIN still gives the socket its end event', async () => {
    const { a, b, close } = await pair();
    try {
      const got: Buffer[] = [];
      assert.equal(directReader(b, (d) => got.push(Buffer.from(d))), true);
      resumeReads(b);
      const ended = once(b, 'end');
      a.end('hello direct');
      await within(ended);
      assert.equal(Buffer.concat(got).toString(), 'hello direct');
    } finally {
      close();
    }
  });

  test('direct writes and socket.write calls arrive in the order they were made', async () => {
    const { a, b, close } = await pair();
    try {
      const rx = collect(a);
      directWriteLatin1(b, 'one,');
      b.write('two,');
      directWrite(b, Buffer.from('three,'));
      directWritev(b, 'four,', [Buffer.from('five,'), Buffer.from('six')]);
      b.end();
      await within(rx.ended);
      assert.equal(rx.text(), 'one,two,three,four,five,six');
    } finally {
      close();
    }
  });

  test('a peer that does not read makes directWrite return false, and drain follows once it reads', async () => {
    const { a, b, close } = await pair();
    try {
      a.pause();
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      let writes = 0;
      let ok = true;
      // bounded: the kernel buffers fill long before 64 MiB
      while (ok && writes < 256) {
        ok = directWrite(b, chunk);
        writes++;
      }
      assert.equal(ok, false);
      await drainedThenAll(a, b, writes * chunk.length);
    } finally {
      close();
    }
  });

  test('pauseReads stops the reader until resumeReads, without losing bytes', async () => {
    const { a, b, close } = await pair();
    try {
      const got: Buffer[] = [];
      directReader(b, (d) => got.push(Buffer.from(d)));
      resumeReads(b);
      a.write('first');
      await within(new Promise<void>((r) => { const t = setInterval(() => { if (got.length) { clearInterval(t); r(); } }, 5); }));
      pauseReads(b);
      a.write('second');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(Buffer.concat(got).toString(), 'first');
      const ended = once(b, 'end');
      resumeReads(b);
      a.end();
      await within(ended);
      assert.equal(Buffer.concat(got).toString(), 'firstsecond');
    } finally {
      close();
    }
  });

  test('a socket handed back with a null reader gives data events again (the idle pool watches them)', async () => {
    const { a, b, close } = await pair();
    try {
      directReader(b, () => assert.fail('the old reader must not be called'));
      resumeReads(b);
      pauseReads(b);
      directReader(b, null);
      const data = once(b, 'data');
      b.resume();
      a.write('talk');
      const [d] = (await within(data)) as [Buffer];
      assert.equal(d.toString(), 'talk');
    } finally {
      close();
    }
  });

  test('a write to a peer that reset the connection destroys the socket with an error, not a throw', async () => {
    const { a, b, close } = await pair();
    try {
      // (events.once would reject on the 'error' that comes first)
      let error: Error | null = null;
      const closed = new Promise((r) => b.once('close', r));
      b.on('error', (e) => (error = e));
      a.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 50));
      // the first write may still be accepted by the kernel; a later one fails
      for (let i = 0; i < 5 && !b.destroyed; i++) {
        directWrite(b, Buffer.from('x'));
        await new Promise((r) => setTimeout(r, 20));
      }
      await within(closed);
      assert.equal(b.destroyed, true);
      assert.match(String((error as Error | null)?.message), /^write E/);
    } finally {
      close();
    }
  });
  test('shared reads of two sockets land in one buffer, and own() keeps a copy that later reads do not touch', async () => {
    const p1 = await pair();
    const p2 = await pair();
    try {
      let first: Buffer | null = null;
      let kept: Buffer | null = null;
      let second: Buffer | null = null;
      directReader(p1.b, (d) => {
        first = d;
        kept = own(d);
      }, true);
      directReader(p2.b, (d) => (second = own(d)), true);
      resumeReads(p1.b);
      resumeReads(p2.b);
      p1.a.write('AAAA');
      await within(until(() => kept !== null));
      p2.a.write('BBBB');
      await within(until(() => second !== null));
      assert.equal(isShared(first!), true);
      assert.equal(isShared(kept!), false);
      assert.equal(kept!.toString(), 'AAAA');
      assert.equal(second!.toString(), 'BBBB');
      // the raw chunk of the first read now shows the second socket's bytes
      assert.equal(first!.toString(), 'BBBB');
    } finally {
      p1.close();
      p2.close();
    }
  });

  test('shared bytes relayed to a peer that stops reading arrive intact while other sockets keep reading', async () => {
    // source -> (s.b shared reader) -> relay to d.b -> d.a, which is paused first
    const s = await pair();
    const d = await pair();
    const noise = await pair();
    try {
      d.a.pause();
      const received: Buffer[] = [];
      let receivedLen = 0;
      d.a.on('data', (x: Buffer) => {
        received.push(x);
        receivedLen += x.length;
      });
      let relayed = 0;
      directReader(s.b, (x) => {
        relayed += x.length;
        if (!directWrite(d.b, x)) pauseReads(s.b);
      }, true);
      d.b.on('drain', () => resumeReads(s.b));
      let noiseBytes = 0;
      directReader(noise.b, (x) => (noiseBytes += x.length), true);
      resumeReads(s.b);
      resumeReads(noise.b);
      // 8 MiB of a pattern that shows any overwrite (the noise is all 0xEE)
      const total = 8 * 1024 * 1024;
      const src = Buffer.alloc(total);
      for (let i = 0; i < total; i += 4) src.writeUInt32LE(i, i);
      s.a.end(src);
      // the relay stalls on the paused peer; meanwhile the noise socket overwrites the shared buffer
      await within(until(() => relayed > 0 && s.b.readableFlowing !== null));
      await new Promise((r) => setTimeout(r, 100));
      const blob = Buffer.alloc(256 * 1024, 0xee);
      for (let i = 0; i < 8; i++) noise.a.write(blob);
      await within(until(() => noiseBytes === 8 * blob.length));
      d.a.resume();
      await within(until(() => receivedLen === total), 20000);
      const got = Buffer.concat(received);
      assert.equal(createHash('sha1').update(got).digest('hex'), createHash('sha1').update(src).digest('hex'));
      // bytes written with write(2) count like the others
      assert.equal(bytesOut(d.b), total);
    } finally {
      s.close();
      d.close();
      noise.close();
    }
  });

  test('a shared-read socket handed back with a null reader gives data events with copies', async () => {
    const { a, b, close } = await pair();
    try {
      directReader(b, () => assert.fail('the old reader must not be called'), true);
      resumeReads(b);
      pauseReads(b);
      directReader(b, null);
      const data = once(b, 'data');
      b.resume();
      a.write('talk');
      const [d] = (await within(data)) as [Buffer];
      assert.equal(d.toString(), 'talk');
      assert.equal(isShared(d), false);
    } finally {
      close();
    }
  });

  test('a reader that does not take shared bytes gets copies on a socket that was read shared before', async () => {
    const { a, b, close } = await pair();
    try {
      let got: Buffer | null = null;
      directReader(b, (d) => (got = d), true);
      resumeReads(b);
      a.write('one');
      await within(until(() => got !== null));
      assert.equal(isShared(got!), true);
      got = null;
      directReader(b, (d) => (got = d));
      a.write('two');
      await within(until(() => got !== null));
      assert.equal(isShared(got!), false);
      assert.equal(got!.toString(), 'two');
    } finally {
      close();
    }
  });

  test('small writes wait for the end of the loop turn and leave together, counted by bytesOut at once', async () => {
    const { a, b, close } = await pair();
    try {
      const rx = collect(a);
      const before = bytesOut(b);
      directWriteLatin1(b, 'head,');
      directWrite(b, Buffer.from('body,'));
      directWritev(b, 'h2,', [Buffer.from('b2')]);
      // nothing reached the kernel yet, but the log phase sees the bytes
      assert.equal(b.bytesWritten, before);
      assert.equal(bytesOut(b) - before, 'head,body,h2,b2'.length);
      await new Promise((r) => setImmediate(r));
      assert.equal(b.bytesWritten - before, 'head,body,h2,b2'.length);
      b.end();
      await within(rx.ended);
      assert.equal(rx.text(), 'head,body,h2,b2');
    } finally {
      close();
    }
  });

  test('end() and destroy() right after batched writes still deliver the batched bytes first', async () => {
    for (const how of ['end', 'destroy'] as const) {
      const { a, b, close } = await pair();
      try {
        const parts: Buffer[] = [];
        a.on('data', (d: Buffer) => parts.push(Buffer.from(d)));
        const done = new Promise((r) => {
          a.once('end', r);
          a.once('close', r);
        });
        directWriteLatin1(b, 'HTTP/1.1 200 OK\r\n\r\n');
        directWrite(b, Buffer.from('bye'));
        if (how === 'end') b.end();
        else b.destroy();
        await within(done);
        assert.equal(Buffer.concat(parts).toString(), 'HTTP/1.1 200 OK\r\n\r\nbye', how);
      } finally {
        close();
      }
    }
  });

  test('a shared-buffer or large write after batched ones goes out behind them', async () => {
    const { a, b, close } = await pair();
    try {
      const rx = collect(a);
      const { a: c, b: d, close: close2 } = await pair();
      try {
        // d reads into the shared buffer and relays to b at once, behind b's batch
        directReader(
          d,
          (chunk) => {
            directWrite(b, chunk);
            directWrite(b, Buffer.alloc(20 * 1024, 0x7a));
            b.end();
          },
          true,
        );
        resumeReads(d);
        directWriteLatin1(b, 'first,');
        c.write('shared,');
        await within(rx.ended);
        assert.equal(rx.text(), 'first,shared,' + 'z'.repeat(20 * 1024));
      } finally {
        close2();
      }
    } finally {
      close();
    }
  });

  test('batched writes to a peer that stops reading end in false and drain, and every byte arrives', async () => {
    const { a, b, close } = await pair();
    try {
      a.pause();
      const chunk = Buffer.alloc(4096, 0x62);
      let writes = 0;
      let ok = true;
      let drains = 0;
      b.on('drain', () => drains++);
      // one small write per loop turn, as a keep-alive exchange makes them; bounded
      while (ok && writes < 100_000) {
        ok = directWrite(b, chunk);
        writes++;
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(ok, false);
      assert.equal(drains, 0);
      await drainedThenAll(a, b, writes * chunk.length);
    } finally {
      close();
    }
  });

  test('no drain event comes after writes that all returned true', async () => {
    const { a, b, close } = await pair();
    try {
      const rx = collect(a);
      let drains = 0;
      b.on('drain', () => drains++);
      for (let i = 0; i < 50; i++) assert.equal(directWrite(b, Buffer.from(`${i},`)), true);
      await new Promise((r) => setTimeout(r, 20));
      b.end();
      await within(rx.ended);
      assert.equal(drains, 0);
      assert.equal(rx.text().split(',').length, 51);
    } finally {
      close();
    }
  });

  test('inside a read callback the clock is read once; outside it is the live time again', async () => {
    const { a, b, close } = await pair();
    try {
      const seen: number[] = [];
      directReader(
        b,
        () => {
          const t0 = nowMs();
          const until = Date.now() + 5;
          while (Date.now() < until); // 5 ms of work inside the turn
          seen.push(t0, nowMs(), Date.now());
        },
        true,
      );
      resumeReads(b);
      a.write('x');
      await within(until(() => seen.length === 3));
      assert.equal(seen[1], seen[0]);
      assert.ok(seen[2] - seen[0] >= 5);
      const t = nowMs();
      assert.ok(Math.abs(t - Date.now()) <= 1 && t >= seen[2]);
    } finally {
      close();
    }
  });
});
