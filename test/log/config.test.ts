/**
 * What the configuration says about logs, as the runtime reads it: which
 * format is in force (last of log-format / option httplog / tcplog, from the
 * defaults or the proxy), targets from `log global`, and the -c notes for
 * what tshaproxy cannot send to.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel } from '../../src/runtime/index.js';
import { CLF_LOG_FORMAT, HTTP_LOG_FORMAT, TCP_LOG_FORMAT, loggerOf, setupLogging } from '../../src/runtime/log/index.js';
import { checkInDir } from '../helpers.js';

async function loggers(cfg: string) {
  const r = await checkInDir(cfg);
  assert.equal(r.exit, 0, r.lines.join('\n'));
  const model = buildModel(r.res.config!);
  setupLogging(model);
  return (name: string) => loggerOf(model.byName.get(name)!)!;
}

test('the last of log-format and option httplog wins, whether it comes from the defaults or the proxy', async () => {
  const lg = await loggers(`global
  log 127.0.0.1:514 local0
defaults
  mode http
  log global
  option httplog
frontend a
  bind :8080
frontend b
  bind :8080
  log-format "%ci %ST"
frontend c
  bind :8080
  log-format "%ci %ST"
  option httplog clf
frontend d
  mode tcp
  bind :8080
frontend e
  bind :8080
  no log
`);
  assert.equal(lg('a').format?.text, HTTP_LOG_FORMAT);
  assert.equal(lg('b').format?.text, '%ci %ST');
  assert.equal(lg('c').format?.text, CLF_LOG_FORMAT);
  // 'option httplog' in a tcp proxy falls back to tcplog, as HAProxy warns
  assert.equal(lg('d').format?.text, TCP_LOG_FORMAT);
  assert.equal(lg('a').targets.length, 1);
  assert.equal(lg('e').targets.length, 0);
});

test('log-tag, log-send-hostname and the log options are read per proxy', async () => {
  const lg = await loggers(`global
  log 127.0.0.1:514 len 200 format rfc5424 local3 notice
  log-tag gtag
  log-send-hostname edge1
defaults
  mode http
  log global
frontend a
  bind :8080
  option httplog
  option dontlognull
  option log-separate-errors
  log-tag ftag
  capture request header Host len 10
  declare capture request len 20
  capture response header Server len 5
frontend b
  bind :8080
  option tcplog
  option dontlog-normal
`);
  const a = lg('a');
  const b = lg('b');
  assert.deepEqual(a.meta, { tag: 'ftag', host: 'edge1', pid: String(process.pid) });
  assert.equal(b.meta.tag, 'gtag');
  assert.deepEqual([a.dontlognull, a.separateErrors, a.dontlogNormal], [true, true, false]);
  assert.equal(b.dontlogNormal, true);
  assert.deepEqual(a.reqCaps, [{ header: 'host', len: 10 }, { len: 20 }]);
  assert.deepEqual(a.resCaps, [{ header: 'server', len: 5 }]);
  const t = a.targets[0];
  assert.deepEqual([t.maxlen, t.format, t.facility, t.level], [200, 'rfc5424', 19, 5]);
});

test('-c says which log targets tshaproxy cannot send to', async () => {
  const r = await checkInDir(
    `global
  log /dev/log local0
  log ring@buf local0
  log 127.0.0.1:514 local0
  log stderr format raw local0
defaults
  mode http
  log global
  log tcp@127.0.0.1:514 local0
frontend f
  bind :8080
  option httplog
  option logasap
`,
    { strict: false, supportWarnings: true },
  );
  const notes = r.lines.filter((l) => l.includes('log target') || l.includes('not honoured'));
  assert.deepEqual(notes, [
    "warning: parsing [h.cfg:2] : log target '/dev/log': Node.js has no unix datagram sockets, so these logs are not sent (use a UDP address, stdout or stderr).",
    "warning: parsing [h.cfg:3] : log target 'ring@buf': ring buffers are not available in tshaproxy; nothing is sent there.",
    "warning: parsing [h.cfg:9] : log target 'tcp@127.0.0.1:514': stream targets need a ring, which tshaproxy does not have; nothing is sent there.",
    "warning: parsing [h.cfg:13] : 'option logasap' is accepted but not honoured by tshaproxy's runtime yet.",
  ]);
});
