/**
 * The WebSocket bench's origin: a WebSocket echo server on raw `net` sockets.
 * `GET` with `Upgrade: websocket` gets a 101 (Sec-WebSocket-Accept computed from the
 * key), then each frame comes back unmasked with the same opcode and FIN; ping gets
 * pong, close gets close. Any other request gets a small 200 (keep-alive), so the
 * bench's start-up probe works through every proxy.
 *   node ws-echo.js LISTEN_PORT
 */
import { createServer, type Socket } from 'node:net';
import { acceptKey, encodeFrame, FrameDecoder, headEnd, headerValue, OP_CLOSE, OP_PING, OP_PONG } from '../lib/ws.js';

const [listenPort] = process.argv.slice(2).map(Number);
const BODY = 'ws-echo: send an Upgrade: websocket request\n';
const PLAIN = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
const BAD = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 'latin1');
const MAX_HEAD = 16384;

function serve(sock: Socket): void {
  let head: Buffer | null = null;
  let decoder: FrameDecoder | null = null;
  sock.on('error', () => sock.destroy());

  const onFrame = (fin: boolean, opcode: number, payload: Buffer) => {
    if (opcode === OP_PING) {
      sock.write(encodeFrame(OP_PONG, payload));
    } else if (opcode === OP_CLOSE) {
      sock.end(encodeFrame(OP_CLOSE, payload));
      decoder = null;
    } else if (opcode !== OP_PONG) {
      sock.write(encodeFrame(opcode, payload, null, fin));
    }
  };

  const onData = (chunk: Buffer) => {
    if (decoder) {
      try {
        decoder.push(chunk, onFrame);
      } catch {
        sock.destroy();
      }
      return;
    }
    if (sock.writableEnded) return;
    let buf = head ? Buffer.concat([head, chunk]) : chunk;
    head = null;
    // plain requests may be pipelined: answer each head; a websocket one switches
    for (;;) {
      const end = headEnd(buf);
      if (end < 0) {
        if (buf.length > MAX_HEAD) sock.end(BAD);
        else if (buf.length) head = Buffer.from(buf);
        return;
      }
      const text = buf.toString('latin1', 0, end);
      buf = buf.subarray(end);
      const upgrade = headerValue(text, 'upgrade');
      if (upgrade === null || upgrade.toLowerCase() !== 'websocket') {
        sock.write(PLAIN);
        continue;
      }
      const key = headerValue(text, 'sec-websocket-key');
      if (!key || !text.startsWith('GET ')) {
        sock.end(BAD);
        return;
      }
      sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`, 'latin1');
      decoder = new FrameDecoder();
      if (buf.length) onData(buf);
      return;
    }
  };
  sock.on('data', onData);
}

const server = createServer({ noDelay: true }, serve);
server.listen({ port: listenPort, host: '127.0.0.1', backlog: 4096 });
process.on('SIGTERM', () => process.exit(0));
