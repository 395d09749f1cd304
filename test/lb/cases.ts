/**
 * The balancing scenarios recorded from HAProxy 2.6 by record.ts (and
 * replayed against our algorithms by lb-fixtures.test.ts).
 */

export interface ServerSpec {
  name: string;
  weight?: number;
  id?: number;
  maxconn?: number;
  backup?: boolean;
  disabled?: boolean;
  /** nothing listens: connections are refused (retries, redispatch) */
  dead?: boolean;
}

export interface StepSpec {
  req?: {
    method?: string;
    uri?: string;
    headers?: [string, string][];
    body?: string;
    src?: string;
    rawHex?: string;
  };
  open?: string;
  close?: string;
  cli?: string;
  apply?: { server: string; up?: boolean; weight?: number };
}

export interface LbCase {
  name: string;
  description: string;
  mode: 'http' | 'tcp';
  frontendLines?: string[];
  backendLines: string[];
  servers: ServerSpec[];
  steps: StepSpec[];
}

const get = (n: number, uri = (i: number) => `/r${i}`): StepSpec[] => Array.from({ length: n }, (_, i) => ({ req: { uri: uri(i) } }));
const srv = (name: string, weight?: number, extra: Partial<ServerSpec> = {}): ServerSpec => ({ name, weight, ...extra });
const down = (s: string): StepSpec => ({ cli: `disable server be/${s}`, apply: { server: s, up: false } });
const up = (s: string): StepSpec => ({ cli: `enable server be/${s}`, apply: { server: s, up: true } });
const weight = (s: string, w: number): StepSpec => ({ cli: `set weight be/${s} ${w}`, apply: { server: s, weight: w } });

/** varied keys: words, numbers, paths, mixed case */
export function keys(n: number, seed = 1): string[] {
  const out: string[] = [];
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const kind = i % 4;
    if (kind === 0) out.push(`user${i}`);
    else if (kind === 1) out.push(String(x % 100000));
    else if (kind === 2) out.push(`Key-${(x >>> 8).toString(36)}`);
    else out.push(`${(x >>> 3).toString(16)}.example.com`);
  }
  return out;
}

const hdrReqs = (name: string, ks: string[]): StepSpec[] => ks.map((k) => ({ req: { uri: '/', headers: [[name, k]] } }));

function hashCases(prefix: string, backendLines: string[], servers: ServerSpec[], n: number): LbCase[] {
  return [
    {
      name: `${prefix}`,
      description: `hdr(x) hashing with ${backendLines.join(', ')}`,
      mode: 'http',
      backendLines,
      servers,
      steps: hdrReqs('x', keys(n, 7)),
    },
  ];
}

const three = [srv('s1'), srv('s2'), srv('s3')];
const weighted = [srv('s1', 1), srv('s2', 2), srv('s3', 3)];

export const CASES: LbCase[] = [
  // ---- roundrobin (lb_fwrr) ----
  {
    name: 'roundrobin-w1-3',
    description: 'weights 1 and 3 from a fresh start: s2,s2,s2,s1 repeated, not an interleave',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 1), srv('s2', 3)],
    steps: get(16),
  },
  {
    name: 'roundrobin-w1-2-3',
    description: 'three servers of weights 1, 2 and 3',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: weighted,
    steps: get(30),
  },
  {
    name: 'roundrobin-w5-1-1-2',
    description: 'four servers of uneven weights',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('a', 5), srv('b', 1), srv('c', 1), srv('d', 2)],
    steps: get(36),
  },
  {
    name: 'roundrobin-equal',
    description: 'four servers of equal weight: declaration order',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1'), srv('s2'), srv('s3'), srv('s4')],
    steps: get(10),
  },
  {
    name: 'roundrobin-weight0',
    description: 'a server of weight 0 never gets traffic',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 1), srv('s2', 0), srv('s3', 2)],
    steps: get(12),
  },
  {
    name: 'roundrobin-down-up',
    description: 'a server leaves (maintenance) and comes back',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 2)],
    steps: [...get(5), down('s2'), ...get(6), up('s2'), ...get(12), down('s3'), ...get(4), up('s3'), ...get(10)],
  },
  {
    name: 'roundrobin-set-weight',
    description: 'set weight while running',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 1)],
    steps: [...get(4), weight('s1', 4), ...get(14), weight('s2', 0), ...get(8), weight('s2', 2), ...get(12)],
  },
  {
    name: 'roundrobin-backup',
    description: 'backups: only the first usable one without allbackups',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1'), srv('s2'), srv('b1', 1, { backup: true }), srv('b2', 2, { backup: true })],
    steps: [...get(3), down('s1'), down('s2'), ...get(4), down('b1'), ...get(3), up('b1'), ...get(3), up('s2'), ...get(3)],
  },
  {
    name: 'roundrobin-allbackups',
    description: 'option allbackups balances over every usable backup',
    mode: 'http',
    backendLines: ['balance roundrobin', 'option allbackups'],
    servers: [srv('s1'), srv('b1', 1, { backup: true }), srv('b2', 2, { backup: true })],
    steps: [...get(2), down('s1'), ...get(9), down('b2'), ...get(2), up('b2'), ...get(6)],
  },
  {
    name: 'roundrobin-disabled-start',
    description: 'a server disabled in the configuration, enabled at run time',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 1), srv('s2', 1, { disabled: true }), srv('s3', 1)],
    steps: [...get(4), up('s2'), ...get(9)],
  },
  // ---- static-rr (lb_map) ----
  {
    name: 'static-rr-w1-2-3',
    description: 'static-rr spreads the map by weight, first declared first',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: weighted,
    steps: get(18),
  },
  {
    name: 'static-rr-gcd',
    description: 'weights 2, 4, 6 are divided by their gcd',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 2), srv('s2', 4), srv('s3', 6)],
    steps: get(12),
  },
  {
    name: 'static-rr-down-up',
    description: 'static-rr rebuilds its map when servers change',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 1), srv('s2', 2), srv('s3', 1)],
    steps: [...get(5), down('s2'), ...get(5), up('s2'), ...get(9)],
  },
  {
    name: 'static-rr-backups',
    description: 'static-rr with backups but no allbackups: the map is sized by the first backup weight',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 1), srv('b1', 3, { backup: true }), srv('b2', 1, { backup: true })],
    steps: [...get(2), down('s1'), ...get(8)],
  },
  // ---- leastconn (lb_fwlc) ----
  {
    name: 'leastconn-sequential',
    description: 'leastconn with one request at a time: round robin',
    mode: 'http',
    backendLines: ['balance leastconn'],
    servers: three,
    steps: get(9),
  },
  {
    name: 'leastconn-held',
    description: 'leastconn with connections held open and closed',
    mode: 'tcp',
    backendLines: ['balance leastconn'],
    servers: three,
    steps: [
      { open: 'c1' },
      { open: 'c2' },
      { open: 'c3' },
      { open: 'c4' },
      { open: 'c5' },
      { close: 'c2' },
      { open: 'c6' },
      { open: 'c7' },
      { close: 'c1' },
      { close: 'c4' },
      { open: 'c8' },
      { open: 'c9' },
      { open: 'c10' },
    ],
  },
  {
    name: 'leastconn-weights',
    description: 'leastconn weighs connection counts by server weight',
    mode: 'tcp',
    backendLines: ['balance leastconn'],
    servers: [srv('s1', 1), srv('s2', 3), srv('s3', 2)],
    steps: [
      ...Array.from({ length: 10 }, (_, i) => ({ open: `c${i + 1}` })),
      { close: 'c3' },
      { close: 'c1' },
      { open: 'c11' },
      { open: 'c12' },
      { open: 'c13' },
    ],
  },
  // ---- first (lb_fas) ----
  {
    name: 'first-maxconn',
    description: 'first fills servers by id up to maxconn',
    mode: 'tcp',
    backendLines: ['balance first'],
    servers: [srv('s1', 1, { maxconn: 2 }), srv('s2', 1, { maxconn: 2 }), srv('s3', 1, { maxconn: 3 })],
    steps: [
      ...Array.from({ length: 5 }, (_, i) => ({ open: `c${i + 1}` })),
      { close: 'c1' },
      { open: 'c6' },
      { close: 'c3' },
      { close: 'c4' },
      { open: 'c7' },
      { open: 'c8' },
    ],
  },
  {
    name: 'first-ids',
    description: 'first orders servers by id, not declaration',
    mode: 'tcp',
    backendLines: ['balance first'],
    servers: [srv('a', 1, { id: 3, maxconn: 1 }), srv('b', 1, { id: 1, maxconn: 1 }), srv('c', 1, { id: 2, maxconn: 1 })],
    steps: [{ open: 'c1' }, { open: 'c2' }, { open: 'c3' }, { close: 'c2' }, { open: 'c4' }],
  },
  // ---- source ----
  {
    name: 'source-map',
    description: 'source hashing, map-based: address % total weight',
    mode: 'tcp',
    backendLines: ['balance source'],
    servers: weighted,
    steps: Array.from({ length: 24 }, (_, i) => ({ req: { src: `127.0.${i % 3}.${i * 7 + 1}` } })),
  },
  {
    name: 'source-consistent',
    description: 'source hashing, consistent ring',
    mode: 'tcp',
    backendLines: ['balance source', 'hash-type consistent'],
    servers: weighted,
    steps: Array.from({ length: 24 }, (_, i) => ({ req: { src: `127.${i}.${i * 3}.${i * 11 + 2}` } })),
  },
  // ---- uri ----
  {
    name: 'uri-map',
    description: 'uri hashing (sdbm, map-based), query string ignored',
    mode: 'http',
    backendLines: ['balance uri'],
    servers: weighted,
    steps: keys(24, 3).map((k, i) => ({ req: { uri: `/${k}/p${i}?q=${i}` } })),
  },
  {
    name: 'uri-consistent',
    description: 'uri hashing on the consistent ring',
    mode: 'http',
    backendLines: ['balance uri', 'hash-type consistent'],
    servers: weighted,
    steps: keys(24, 4).map((k) => ({ req: { uri: `/img/${k}.png` } })),
  },
  {
    name: 'uri-options',
    description: 'uri with depth, len, whole and path-only',
    mode: 'http',
    backendLines: ['balance uri depth 2 whole'],
    servers: three,
    steps: [
      '/a/b/c?x=1',
      '/a/b/d?x=2',
      '/a/c/d',
      '/b/a/c',
      '/b/b/c?y',
      '/a/b?x=1',
      '/a/b?x=2',
      '/x/y/z',
      '/x/y',
      '/x',
      'http://h.example/a/b/c',
      '/',
    ].map((uri) => ({ req: { uri } })),
  },
  {
    name: 'uri-len-path-only',
    description: 'uri len 6 path-only: absolute and origin forms hash the same',
    mode: 'http',
    backendLines: ['balance uri len 6 path-only'],
    servers: three,
    steps: ['/abcdef1', '/abcdef2', 'http://h.example/abcdefgh', '/abcxyz', 'http://other.example/abcxyz?q', '/a', '/zz/top', '/zz/t0p', '/q?abc', '/qq'].map(
      (uri) => ({ req: { uri } }),
    ),
  },
  // ---- url_param ----
  {
    name: 'url-param-map',
    description: 'url_param hashing; missing parameter falls back to round robin',
    mode: 'http',
    backendLines: ['balance url_param uid'],
    servers: weighted,
    steps: [
      ...keys(14, 5).map((k, i) => ({ req: { uri: `/p?a=1&uid=${k}&z=${i}` } })),
      { req: { uri: '/p?nouid=1' } },
      { req: { uri: '/p' } },
      { req: { uri: '/p?uidx=3' } },
      { req: { uri: '/p?uid=' } },
      { req: { uri: '/p?uid' } },
      { req: { uri: '/p?x=1&uid=abc&uid=def' } },
      { req: { uri: '/p?UID=abc' } },
      { req: { uri: '/p' } },
    ],
  },
  {
    name: 'url-param-post',
    description: 'url_param check_post looks in the POST body when the query has no parameter',
    mode: 'http',
    backendLines: ['balance url_param uid check_post'],
    servers: three,
    steps: [
      ...keys(8, 6).map((k) => ({ req: { method: 'POST', uri: '/form', body: `a=1&uid=${k}&b=2` } })),
      { req: { method: 'POST', uri: '/form?uid=q1', body: 'uid=zzz' } },
      { req: { method: 'POST', uri: '/form', body: 'nothing=here' } },
      { req: { method: 'POST', uri: '/form', body: 'uid==bad' } },
      { req: { method: 'POST', uri: '/form', body: 'uid= x' } },
      { req: { method: 'GET', uri: '/form' } },
    ],
  },
  {
    name: 'url-param-consistent',
    description: 'url_param on the consistent ring with djb2',
    mode: 'http',
    backendLines: ['balance url_param id', 'hash-type consistent djb2'],
    servers: weighted,
    steps: keys(20, 8).map((k) => ({ req: { uri: `/x?id=${k}` } })),
  },
  // ---- hdr ----
  ...hashCases('hdr-map-sdbm', ['balance hdr(x)'], weighted, 30),
  ...hashCases('hdr-map-djb2', ['balance hdr(x)', 'hash-type map-based djb2'], weighted, 24),
  ...hashCases('hdr-map-wt6', ['balance hdr(x)', 'hash-type map-based wt6'], weighted, 24),
  ...hashCases('hdr-map-crc32', ['balance hdr(x)', 'hash-type map-based crc32'], weighted, 24),
  ...hashCases('hdr-map-sdbm-avalanche', ['balance hdr(x)', 'hash-type map-based sdbm avalanche'], weighted, 24),
  ...hashCases('hdr-consistent', ['balance hdr(x)', 'hash-type consistent'], weighted, 40),
  ...hashCases('hdr-consistent-djb2', ['balance hdr(x)', 'hash-type consistent djb2'], weighted, 24),
  ...hashCases('hdr-consistent-wt6-avalanche', ['balance hdr(x)', 'hash-type consistent wt6 avalanche'], weighted, 24),
  ...hashCases('hdr-consistent-crc32', ['balance hdr(x)', 'hash-type consistent crc32'], weighted, 24),
  ...hashCases(
    'hdr-consistent-many',
    ['balance hdr(x)', 'hash-type consistent'],
    [srv('a', 10), srv('b', 20), srv('c', 5), srv('d', 1, { id: 12 }), srv('e', 50)],
    60,
  ),
  {
    name: 'hdr-domain-only',
    description: 'hdr(host) use_domain_only hashes the label before the last dot',
    mode: 'http',
    backendLines: ['balance hdr(host) use_domain_only'],
    servers: three,
    steps: [
      'haproxy.1wt.eu',
      'www.1wt.eu',
      'a.b.c.example.com',
      'example.com',
      'localhost',
      'x.y',
      'foo.bar.org',
      'baz.bar.org',
      'foo.qux.org',
      'one.two.three',
      'host.example.net:8080',
      'a.',
    ].map((h) => ({ req: { uri: '/', headers: [['Host', h]] as [string, string][] } })),
  },
  {
    name: 'hdr-missing',
    description: 'hdr() without the header falls back to round robin on the map',
    mode: 'http',
    backendLines: ['balance hdr(x-user)'],
    servers: weighted,
    steps: [
      { req: { uri: '/' } },
      { req: { uri: '/', headers: [['x-user', 'alice']] } },
      { req: { uri: '/' } },
      { req: { uri: '/' } },
      { req: { uri: '/', headers: [['x-user', '']] } },
      { req: { uri: '/', headers: [['x-user', 'bob, carol']] } },
      { req: { uri: '/', headers: [['X-User', 'bob']] } },
      { req: { uri: '/' } },
      { req: { uri: '/' } },
      { req: { uri: '/' } },
    ],
  },
  {
    name: 'hdr-missing-consistent',
    description: 'hdr() without the header walks the consistent ring',
    mode: 'http',
    backendLines: ['balance hdr(x-user)', 'hash-type consistent'],
    servers: weighted,
    steps: [...get(12), { req: { uri: '/', headers: [['x-user', 'alice']] } }, ...get(4)],
  },
  {
    name: 'hdr-consistent-down-up',
    description: 'consistent hashing: a server going down only moves its own keys',
    mode: 'http',
    backendLines: ['balance hdr(x)', 'hash-type consistent'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 1), srv('s4', 2)],
    steps: [...hdrReqs('x', keys(16, 9)), down('s2'), ...hdrReqs('x', keys(16, 9)), up('s2'), ...hdrReqs('x', keys(8, 9)), weight('s4', 5), ...hdrReqs('x', keys(16, 9))],
  },
  {
    name: 'hdr-map-down',
    description: 'map-based hashing after a server goes down',
    mode: 'http',
    backendLines: ['balance hdr(x)'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 1), srv('s4', 2)],
    steps: [...hdrReqs('x', keys(12, 10)), down('s2'), ...hdrReqs('x', keys(12, 10))],
  },
  {
    name: 'hdr-single-server',
    description: 'one usable server: no hashing',
    mode: 'http',
    backendLines: ['balance hdr(x)'],
    servers: [srv('s1', 1), srv('s2', 1)],
    steps: [...hdrReqs('x', keys(3, 11)), down('s2'), ...hdrReqs('x', keys(3, 11)), { req: { uri: '/' } }],
  },
  // ---- balance hash <expr> (2.6) ----
  {
    name: 'hash-expr',
    description: 'balance hash with a sample expression',
    mode: 'http',
    backendLines: ['balance hash req.hdr(x)'],
    servers: weighted,
    steps: [...hdrReqs('x', keys(16, 12)), { req: { uri: '/' } }, { req: { uri: '/' } }],
  },
  // ---- rdp-cookie ----
  {
    name: 'rdp-cookie',
    description: 'rdp-cookie hashes the mstshash cookie of the RDP connection request',
    mode: 'tcp',
    frontendLines: ['tcp-request inspect-delay 2s', 'tcp-request content accept if RDP_COOKIE'],
    backendLines: ['balance rdp-cookie'],
    servers: weighted,
    steps: keys(12, 13).map((k) => ({ req: { rawHex: rdpRequest(`Cookie: mstshash=${k}\r\n`) } })),
  },
];


/** a small deterministic PRNG for the churn scenarios */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** requests mixed with servers leaving, coming back and changing weight */
function churn(seed: number, names: string[], n: number, req: (i: number) => StepSpec, allowWeight = true, maxWeight = 8): StepSpec[] {
  const r = prng(seed);
  const isUp = new Map(names.map((x) => [x, true]));
  const out: StepSpec[] = [];
  for (let i = 0; i < n; i++) {
    const k = r(10);
    const name = names[r(names.length)];
    if (k === 0) {
      const upNow = isUp.get(name)!;
      // keep at least one server up
      if (upNow && [...isUp.values()].filter(Boolean).length === 1) continue;
      out.push(upNow ? down(name) : up(name));
      isUp.set(name, !upNow);
    } else if (k === 1 && allowWeight) {
      out.push(weight(name, r(maxWeight + 1)));
    } else {
      out.push(req(i));
    }
  }
  return out;
}

/** held connections opened and closed at random, with servers changing */
function heldChurn(seed: number, names: string[], n: number, withWeights: boolean, allowDown = true): StepSpec[] {
  const r = prng(seed);
  const isUp = new Map(names.map((x) => [x, true]));
  const open: string[] = [];
  const out: StepSpec[] = [];
  let c = 0;
  for (let i = 0; i < n; i++) {
    const k = r(12);
    const name = names[r(names.length)];
    if (k === 0) {
      const upNow = isUp.get(name)!;
      if (!allowDown || (upNow && [...isUp.values()].filter(Boolean).length === 1)) continue;
      out.push(upNow ? down(name) : up(name));
      isUp.set(name, !upNow);
    } else if (k === 1 && withWeights) {
      out.push(weight(name, 1 + r(6)));
    } else if ((k < 6 && open.length) || open.length > 12) {
      const j = r(open.length);
      out.push({ close: open[j] });
      open.splice(j, 1);
    } else {
      const id = `c${++c}`;
      open.push(id);
      out.push({ open: id });
    }
  }
  return out;
}

CASES.push(
  {
    name: 'roundrobin-churn',
    description: 'roundrobin with servers going down, up and changing weight between requests',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 3), srv('s2', 1), srv('s3', 5), srv('s4', 2), srv('s5', 1)],
    steps: churn(101, ['s1', 's2', 's3', 's4', 's5'], 220, (i) => ({ req: { uri: `/c${i}` } })),
  },
  {
    name: 'roundrobin-churn-backups',
    description: 'roundrobin churn with backup servers',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 2), srv('s2', 1), srv('b1', 1, { backup: true }), srv('b2', 3, { backup: true })],
    steps: churn(202, ['s1', 's2', 'b1', 'b2'], 160, (i) => ({ req: { uri: `/c${i}` } })),
  },
  {
    name: 'roundrobin-churn-allbackups',
    description: 'roundrobin churn with allbackups',
    mode: 'http',
    backendLines: ['balance roundrobin', 'option allbackups'],
    servers: [srv('s1', 2), srv('b1', 1, { backup: true }), srv('b2', 3, { backup: true }), srv('b3', 2, { backup: true })],
    steps: churn(303, ['s1', 'b1', 'b2', 'b3'], 160, (i) => ({ req: { uri: `/c${i}` } })),
  },
  {
    name: 'static-rr-churn',
    description: 'static-rr with servers going down and up',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 3), srv('s2', 1), srv('s3', 2), srv('b1', 2, { backup: true }), srv('b2', 1, { backup: true })],
    steps: churn(404, ['s1', 's2', 's3', 'b1', 'b2'], 160, (i) => ({ req: { uri: `/c${i}` } }), false),
  },
  {
    name: 'hdr-consistent-churn',
    description: 'consistent hashing with servers going down, up and changing weight',
    mode: 'http',
    backendLines: ['balance hdr(x)', 'hash-type consistent'],
    servers: [srv('s1', 3), srv('s2', 1), srv('s3', 5), srv('s4', 2)],
    steps: churn(505, ['s1', 's2', 's3', 's4'], 200, (i) => ({ req: { uri: '/', headers: [['x', keys(1, i + 1)[0]]] } }), true, 12),
  },
  {
    name: 'hdr-map-churn',
    description: 'map-based hashing with servers going down and up',
    mode: 'http',
    backendLines: ['balance hdr(x)'],
    servers: [srv('s1', 3), srv('s2', 1), srv('s3', 5), srv('s4', 2)],
    steps: churn(606, ['s1', 's2', 's3', 's4'], 160, (i) => ({ req: { uri: '/', headers: [['x', keys(1, i + 7)[0]]] } }), false),
  },
  {
    name: 'hdr-missing-consistent-churn',
    description: 'the consistent ring walk (no key) while servers change',
    mode: 'http',
    backendLines: ['balance hdr(x)', 'hash-type consistent'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 2), srv('b1', 1, { backup: true })],
    steps: churn(707, ['s1', 's2', 's3', 'b1'], 120, (i) => ({ req: { uri: `/n${i}` } }), true, 3),
  },
  {
    name: 'leastconn-churn',
    description: 'leastconn with held connections, servers going down/up and weights changing',
    mode: 'tcp',
    backendLines: ['balance leastconn'],
    servers: [srv('s1', 1), srv('s2', 2), srv('s3', 3), srv('b1', 1, { backup: true })],
    steps: heldChurn(808, ['s1', 's2', 's3', 'b1'], 120, true),
  },
  {
    name: 'first-churn',
    description: 'first with held connections and servers going down/up',
    mode: 'tcp',
    backendLines: ['balance first'],
    servers: [srv('s1', 1, { maxconn: 4 }), srv('s2', 1, { maxconn: 4 }), srv('s3', 1, { maxconn: 4 }), srv('s4', 1)],
    steps: heldChurn(909, ['s1', 's2', 's3'], 100, false),
  },
  {
    name: 'roundrobin-maxconn',
    description: 'roundrobin skips saturated servers (maxconn) with held connections',
    mode: 'tcp',
    backendLines: ['balance roundrobin'],
    servers: [srv('s1', 3, { maxconn: 2 }), srv('s2', 1, { maxconn: 3 }), srv('s3', 2)],
    steps: heldChurn(1001, ['s1', 's2', 's3'], 90, false, false),
  },
  {
    name: 'static-rr-maxconn',
    description: 'static-rr skips saturated servers (maxconn) with held connections',
    mode: 'tcp',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 3, { maxconn: 2 }), srv('s2', 1, { maxconn: 3 }), srv('s3', 2)],
    steps: heldChurn(1101, ['s1', 's2', 's3'], 90, false, false),
  },
  {
    name: 'leastconn-maxconn',
    description: 'leastconn with maxconn limits and held connections',
    mode: 'tcp',
    backendLines: ['balance leastconn'],
    servers: [srv('s1', 1, { maxconn: 2 }), srv('s2', 3, { maxconn: 4 }), srv('s3', 1)],
    steps: heldChurn(1201, ['s1', 's2', 's3'], 90, false, false),
  },
  {
    name: 'source-balance-factor',
    description: 'consistent source hashing with hash-balance-factor and held connections',
    mode: 'tcp',
    backendLines: ['balance source', 'hash-type consistent', 'hash-balance-factor 125'],
    servers: [srv('s1', 1), srv('s2', 1), srv('s3', 2)],
    steps: (() => {
      const st: StepSpec[] = [];
      for (let i = 0; i < 24; i++) {
        st.push({ open: `c${i}`, req: { src: `127.0.${i % 2}.${(i * 37) % 250 + 1}` } });
        if (i % 5 === 4) st.push({ close: `c${i - 2}` });
      }
      return st;
    })(),
  },
  {
    name: 'roundrobin-redispatch',
    description: 'a refused connection is retried on another server (option redispatch): the avoided server is skipped',
    mode: 'http',
    backendLines: ['balance roundrobin', 'option redispatch', 'retries 2'],
    servers: [srv('s1', 1), srv('s2', 2, { dead: true }), srv('s3', 1)],
    steps: get(16),
  },
  {
    name: 'leastconn-redispatch',
    description: 'leastconn retries a refused connection elsewhere',
    mode: 'http',
    backendLines: ['balance leastconn', 'option redispatch', 'retries 2'],
    servers: [srv('s1', 1), srv('s2', 1, { dead: true }), srv('s3', 1)],
    steps: get(9),
  },
  {
    name: 'random-weights',
    description: 'random(2): traffic follows the weights (distribution only, the draws are random)',
    mode: 'http',
    backendLines: ['balance random'],
    servers: [srv('s1', 1), srv('s2', 3), srv('s3', 4)],
    steps: get(400),
  },
  {
    name: 'random-draws1',
    description: 'random(1): one draw on the consistent ring',
    mode: 'http',
    backendLines: ['balance random(1)'],
    servers: [srv('s1', 1), srv('s2', 3), srv('s3', 4)],
    steps: get(400),
  },
  {
    name: 'roundrobin-big-weights',
    description: 'roundrobin with large and uneven weights',
    mode: 'http',
    backendLines: ['balance roundrobin'],
    servers: [srv('a', 256), srv('b', 100), srv('c', 37), srv('d', 1), srv('e', 13)],
    steps: [...get(150), weight('a', 3), ...get(60), weight('d', 200), ...get(60)],
  },
  {
    name: 'static-rr-weight0',
    description: 'static-rr with a weight 0 server',
    mode: 'http',
    backendLines: ['balance static-rr'],
    servers: [srv('s1', 0), srv('s2', 3), srv('s3', 2)],
    steps: get(12),
  },
  {
    name: 'uri-consistent-ids',
    description: 'consistent uri hashing with explicit and large server ids',
    mode: 'http',
    backendLines: ['balance uri', 'hash-type consistent sdbm avalanche'],
    servers: [srv('s1', 2, { id: 1000 }), srv('s2', 1, { id: 7 }), srv('s3', 3), srv('s4', 1, { id: 600000 })],
    steps: keys(40, 21).map((k) => ({ req: { uri: `/${k}` } })),
  },
  {
    name: 'uri-depth1-len',
    description: 'uri depth 1, and len 3',
    mode: 'http',
    backendLines: ['balance uri depth 1 len 3'],
    servers: weighted,
    steps: ['/abc/def', '/abd/x', '/a/b', '/ab', '/abcdef', '/xyz', '/x', '/x/y', '/?q', '/a?', '//', '/zzz/q'].map((uri) => ({ req: { uri } })),
  },
);

/** an X.224 connection request carrying `cookie` (as mstsc sends it) */
export function rdpRequest(cookie: string): string {
  const c = Buffer.from(cookie, 'latin1');
  const neg = Buffer.from('0100080003000000', 'hex');
  const x224 = Buffer.concat([Buffer.from([0xe0, 0, 0, 0, 0, 0]), c, neg]);
  const li = Buffer.from([x224.length]);
  const tpkt = Buffer.alloc(4);
  tpkt[0] = 3;
  tpkt.writeUInt16BE(4 + 1 + x224.length, 2);
  return Buffer.concat([tpkt, li, x224]).toString('hex');
}
