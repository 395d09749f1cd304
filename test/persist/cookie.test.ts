/**
 * Cookie persistence, header by header: what HAProxy 2.6.12 was observed to
 * do with the Cookie and Set-Cookie headers in prefix, insert and rewrite
 * modes (request rewriting, server choice, inserted cookie, nocache).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CookieConf } from '../../src/config/model.js';
import { HttpMessage } from '../../src/runtime/http/h1/message.js';
import type { RtProxy, RtServer } from '../../src/runtime/model.js';
import { b64tos30, persistRequest, persistResponse, s30tob64 } from '../../src/runtime/persist/index.js';

function backend(name: string, mode: CookieConf['mode'], options: string[], opts: string[] = [], down: string[] = []): { be: RtProxy; srv: Record<string, RtServer> } {
  const srv: Record<string, RtServer> = {};
  const be = {
    name: 'b',
    conf: { cookie: { name, mode, options, file: 'f', line: 1 }, options: new Map(opts.map((o) => [o, { enabled: true, args: [] }])), rules: [] },
    servers: [] as RtServer[],
    option: (o: string) => opts.includes(o),
  } as unknown as RtProxy;
  for (const id of ['A', 'B']) {
    const s = { name: id, up: !down.includes(id), conf: { cookie: id }, backend: be } as unknown as RtServer;
    srv[id] = s;
    be.servers.push(s);
  }
  return { be, srv };
}

function request(cookies: string[], method = 'GET'): HttpMessage {
  const m = new HttpMessage(false);
  m.method = method;
  m.uri = '/';
  m.headers.add('host', 'x');
  for (const c of cookies) m.headers.add('cookie', c);
  return m;
}

function response(headers: [string, string][], status = 200): HttpMessage {
  const m = new HttpMessage(true);
  m.status = status;
  for (const [n, v] of headers) m.headers.add(n, v);
  return m;
}

describe('cookie prefix (seed 004: cookie JSESSIONID prefix)', () => {
  const { be, srv } = backend('JSESSIONID', 'prefix', ['prefix']);
  const cases: [string[], string | undefined, string[]][] = [
    [['JSESSIONID=B~xyz'], 'B', ['JSESSIONID=xyz']],
    [['a=1; JSESSIONID=B~xyz; c=2'], 'B', ['a=1; JSESSIONID=xyz; c=2']],
    [['a=1;JSESSIONID=Z~xyz;c=2'], undefined, ['a=1;JSESSIONID=xyz;c=2']],
    [['JSESSIONID=xyz'], undefined, ['JSESSIONID=xyz']],
    [['a=1', 'JSESSIONID=B~x~y; JSESSIONID=A~q'], 'B', ['a=1', 'JSESSIONID=x~y; JSESSIONID=q']],
    [['jsessionid=B~xyz'], undefined, ['jsessionid=B~xyz']],
    [['JSESSIONID=B~'], 'B', ['JSESSIONID=']],
    [['JSESSIONID=B'], 'B', ['JSESSIONID=B']],
    [['$Version=1; JSESSIONID="B~xyz"; $Path=/'], undefined, ['$Version=1; JSESSIONID=xyz"; $Path=/']],
  ];
  for (const [sent, server, got] of cases) {
    it(`the request cookie ${JSON.stringify(sent.join(' | '))} goes to ${server ?? 'the balancer'} as ${JSON.stringify(got.join(' | '))}`, () => {
      const req = request(sent);
      const txn = persistRequest(be, req)!;
      assert.equal(txn.direct?.name, server);
      assert.deepEqual(req.headers.getAll('cookie'), got);
    });
  }

  it("the server's Set-Cookie JSESSIONID=xyz reaches the client as JSESSIONID=A~xyz, other cookies untouched", () => {
    const txn = persistRequest(be, request([]))!;
    const res = response([
      ['set-cookie', 'JSESSIONID=xyz; Path=/'],
      ['set-cookie', 'other=1'],
      ['set-cookie', 'jsessionid=abc'],
    ]);
    persistResponse(txn, srv.A, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), ['JSESSIONID=A~xyz; Path=/', 'other=1', 'jsessionid=abc']);
    assert.equal(txn.sck, 'R');
  });

  it('a request for a down server is balanced normally (ck D) unless option persist keeps it', () => {
    const down = backend('JSESSIONID', 'prefix', ['prefix'], [], ['B']);
    const t1 = persistRequest(down.be, request(['JSESSIONID=B~xyz']))!;
    assert.equal(t1.direct, undefined);
    assert.equal(t1.ck, 'D');
    const persist = backend('JSESSIONID', 'prefix', ['prefix'], ['persist'], ['B']);
    const t2 = persistRequest(persist.be, request(['JSESSIONID=B~xyz']))!;
    assert.equal(t2.direct?.name, 'B');
    assert.equal(t2.ck, 'D');
  });
});

describe('cookie insert indirect nocache httponly secure domain attr', () => {
  const opts = ['insert', 'indirect', 'nocache', 'httponly', 'secure', 'domain', '.a.com', 'domain', '.b.com', 'attr', 'SameSite=Lax', 'attr', 'Foo'];
  const { be, srv } = backend('SRV', 'insert', opts);
  const cases: [string[], string | undefined, string[]][] = [
    [['SRV=B'], 'B', []],
    [['a=1; SRV=B; c=2'], 'B', ['a=1; c=2']],
    [['SRV=B; c=2'], 'B', ['c=2']],
    [['a=1;  SRV=B'], 'B', ['a=1']],
    [['a=1 ;SRV=Z ; c = 2'], undefined, ['a=1; c=2']],
    [['$Version=1; SRV=B; $Path=/; a=1'], 'B', ['$Version=1; a=1']],
    [['SRV=B; $Path=/'], 'B', []],
    [['SRV=B, a=1'], 'B', ['a=1']],
    [['SRV='], undefined, []],
    [['noeq; SRV=B'], 'B', ['noeq']],
    [['SRV=B; noeq'], 'B', ['noeq']],
    [['SRV=B|abcde'], 'B', []],
  ];
  for (const [sent, server, got] of cases) {
    it(`the request cookie ${JSON.stringify(sent.join(' | '))} goes to ${server ?? 'the balancer'} and reaches it as ${JSON.stringify(got.join(' | '))}`, () => {
      const req = request(sent);
      const txn = persistRequest(be, req)!;
      assert.equal(txn.direct?.name, server);
      assert.deepEqual(req.headers.getAll('cookie'), got);
    });
  }

  const inserted = 'SRV=A; path=/; domain=.a.com; domain=.b.com; HttpOnly; Secure; SameSite=Lax; Foo';
  it('a balanced request gets the server cookie appended to the response', () => {
    const txn = persistRequest(be, request([]))!;
    const res = response([['content-length', '2']]);
    persistResponse(txn, srv.A, res);
    assert.deepEqual(res.headers.names, ['content-length', 'set-cookie']);
    assert.deepEqual(res.headers.getAll('set-cookie'), [inserted]);
    assert.equal(txn.sck, 'I');
  });

  it("a request that already carries the right cookie gets none, and the server's own SRV cookie is removed", () => {
    const txn = persistRequest(be, request(['SRV=A']))!;
    const res = response([['set-cookie', 'SRV=zz']]);
    persistResponse(txn, srv.A, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), []);
    assert.equal(txn.sck, 'D');
  });

  const nocache: [string, [string, string][], boolean][] = [
    ['GET', [], false],
    ['GET', [['cache-control', 'max-age=60']], true],
    ['GET', [['etag', '"x"']], true],
    ['GET', [['last-modified', 'Mon']], true],
    ['GET', [['expires', 'Mon']], true],
    ['POST', [['expires', 'Mon']], false],
    ['HEAD', [['expires', 'Mon']], true],
    ['GET', [['expires', 'Mon'], ['cache-control', 'no-cache="set-cookie"']], true],
    ['GET', [['expires', 'Mon'], ['cache-control', 'Private']], false],
    ['GET', [['expires', 'Mon'], ['cache-control', 'max-age=0']], false],
    ['GET', [['expires', 'Mon'], ['cache-control', 'public, no-store']], false],
    ['GET', [['expires', 'Mon'], ['pragma', 'no-cache']], false],
    ['GET', [['cache-control', 'public']], false],
  ];
  for (const [meth, hdrs, priv] of nocache) {
    it(`nocache: a ${meth} answered with ${JSON.stringify(hdrs)} ${priv ? 'gets' : 'does not get'} cache-control: private after the cookie`, () => {
      const txn = persistRequest(be, request([], meth))!;
      const res = response(hdrs);
      persistResponse(txn, srv.B, res);
      const names = res.headers.names;
      assert.equal(names[hdrs.length], 'set-cookie');
      if (priv) assert.deepEqual([names[hdrs.length + 1], res.headers.values[hdrs.length + 1]], ['cache-control', 'private']);
      else assert.equal(names.length, hdrs.length + 1);
    });
  }
});

describe('cookie rewrite, passive, preserve and postonly', () => {
  it("rewrite: the server's cookie value becomes the server's cookie, blanks around '=' removed", () => {
    const { be, srv } = backend('SRV', 'rewrite', ['rewrite']);
    const txn = persistRequest(be, request(['SRV=B']))!;
    assert.equal(txn.direct?.name, 'B');
    const res = response([['set-cookie', 'SRV = zz ; path=/']]);
    persistResponse(txn, srv.B, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), ['SRV=B ; path=/']);
  });

  it('passive: the cookie picks the server, nothing is rewritten either way', () => {
    const { be, srv } = backend('SRV', 'passive', []);
    const req = request(['SRV=B']);
    const txn = persistRequest(be, req)!;
    assert.equal(txn.direct?.name, 'B');
    assert.deepEqual(req.headers.getAll('cookie'), ['SRV=B']);
    const res = response([['set-cookie', 'SRV=zz']]);
    persistResponse(txn, srv.B, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), ['SRV=zz']);
  });

  it("insert preserve postonly: only POST responses get a cookie, and never over the server's own", () => {
    const { be, srv } = backend('SRV', 'insert', ['insert', 'preserve', 'postonly']);
    let res = response([]);
    persistResponse(persistRequest(be, request([]))!, srv.A, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), []);
    res = response([]);
    persistResponse(persistRequest(be, request([], 'POST'))!, srv.A, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), ['SRV=A; path=/']);
    res = response([['set-cookie', 'SRV=mine']]);
    persistResponse(persistRequest(be, request([], 'POST'))!, srv.A, res);
    assert.deepEqual(res.headers.getAll('set-cookie'), ['SRV=mine']);
  });

  it('Set-Cookie2 with two cookies: removing the first keeps the header length, as HAProxy does', () => {
    const { be, srv } = backend('SRV', 'insert', ['insert', 'indirect']);
    const txn = persistRequest(be, request(['SRV=B']))!;
    const res = response([['set-cookie2', 'SRV=q, Y=2']]);
    persistResponse(txn, srv.B, res);
    assert.deepEqual(res.headers.getAll('set-cookie2'), ['Y=2=q, Y=2']);
  });
});

describe('cookie dates (maxidle, maxlife)', () => {
  it('the 30-bit dates round-trip through 5 base64 characters', () => {
    for (const v of [0, 1, 63, 64, 448000000, 0x3fffffff]) assert.equal(b64tos30(s30tob64(v)), v);
    assert.equal(s30tob64(0), 'AAAAA');
    assert.equal(b64tos30('ab!de'), -1);
  });

  it('an idle cookie is ignored (ck E) and a fresh one is set with its dates', () => {
    const { be, srv } = backend('SRV', 'insert', ['insert', 'indirect', 'maxidle', '30m', 'maxlife', '1h']);
    const now = Math.floor(Date.now() / 1000);
    const idle = s30tob64((now - 2000) >>> 2);
    const first = s30tob64((now + 3) >>> 2);
    const txn = persistRequest(be, request([`SRV=B|${idle}|${first}`]))!;
    assert.equal(txn.direct, undefined);
    assert.equal(txn.ck, 'E');
    const res = response([]);
    persistResponse(txn, srv.A, res);
    assert.match(res.headers.get('set-cookie')!, /^SRV=A\|[A-Za-z0-9+/]{5}\|[A-Za-z0-9+/]{5}; path=\/$/);
  });
});
