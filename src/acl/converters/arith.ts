/**
 * Arithmetic and bitwise converters on 64-bit signed integers, saturating
 * like HAProxy's arith_* functions. The operand is an integer or a variable.
 */
import type { SampleContext } from '../context.js';
import { defConv } from '../registry.js';
import { LLONG_MAX, LLONG_MIN, Sample, T, big, cast, normInt, readInt64, type SInt } from '../types.js';
import { parseVarName } from '../fetches/util.js';
import { readVar } from '../fetches/internal.js';

type Operand = { n?: SInt; v?: [any, string] };

function prepOperand(a: string[]): any[] {
  const s = a[0] ?? '';
  const v = parseVarName(s);
  if (v) return [{ v }];
  return [{ n: readInt64(s) }];
}

function operand(ctx: SampleContext, o: Operand): SInt | undefined {
  if (o.n !== undefined) return o.n;
  const val = readVar(ctx, o.v![0], o.v![1]);
  if (!val) return undefined;
  const t = new Sample();
  t.t = val.t;
  t.v = val.v;
  return cast(t, T.SINT) ? t.v : undefined;
}

const SAFE = 9007199254740991;
function clamp(b: bigint): SInt {
  if (b > LLONG_MAX) return normInt(LLONG_MAX);
  if (b < LLONG_MIN) return normInt(LLONG_MIN);
  return normInt(b);
}

function arith(name: string, op: (a: SInt, b: SInt) => SInt): void {
  defConv(
    name,
    (smp, ctx, args) => {
      const b = operand(ctx, args[0]);
      if (b === undefined) return false;
      return smp.setInt(op(smp.v, b));
    },
    prepOperand,
  );
}

arith('add', (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= SAFE && r >= -SAFE) return r;
  }
  return clamp(big(a) + big(b));
});
arith('sub', (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= SAFE && r >= -SAFE) return r;
  }
  return clamp(big(a) - big(b));
});
arith('mul', (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (r <= SAFE && r >= -SAFE) return r === 0 ? 0 : r;
  }
  return clamp(big(a) * big(b));
});
arith('div', (a, b) => {
  const B = big(b);
  if (B === 0n) return normInt(LLONG_MAX);
  const A = big(a);
  if (A === LLONG_MIN && B === -1n) return normInt(LLONG_MAX);
  return normInt(A / B);
});
arith('mod', (a, b) => {
  const B = big(b);
  if (B === 0n) return 0;
  const A = big(a);
  if (A === LLONG_MIN && B === -1n) return 0;
  return normInt(A % B);
});
arith('and', (a, b) => normInt(BigInt.asIntN(64, big(a) & big(b))));
arith('or', (a, b) => normInt(BigInt.asIntN(64, big(a) | big(b))));
arith('xor', (a, b) => normInt(BigInt.asIntN(64, big(a) ^ big(b))));

defConv('neg', (smp) => {
  const a = smp.v as SInt;
  if (typeof a === 'number') return smp.setInt(a === 0 ? 0 : -a);
  return smp.setInt(a === LLONG_MIN ? normInt(LLONG_MAX) : normInt(-a));
});
defConv('cpl', (smp) => smp.setInt(normInt(BigInt.asIntN(64, ~big(smp.v)))));
defConv('bool', (smp) => smp.setBool(smp.v != 0));
defConv('not', (smp) => smp.setBool(smp.v == 0));
defConv('odd', (smp) => smp.setBool((big(smp.v) & 1n) === 1n));
defConv('even', (smp) => smp.setBool((big(smp.v) & 1n) === 0n));

/* integers to binary */
defConv('htonl', (smp) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(Number(BigInt.asUintN(32, big(smp.v))));
  return smp.setBin(b);
});

function beArgs(a: string[]): any[] {
  return [a[0] ?? '', a[1] !== undefined && a[1] !== '' ? Number(a[1]) : undefined, a[2] !== undefined && a[2] !== '' ? Number(a[2]) : 0];
}
defConv(
  'be2dec',
  (smp, _c, a) => {
    const b = smp.v as Buffer;
    const size: number = a[1] ?? 1;
    const last = a[2] ? b.length - size + 1 : b.length;
    let out = '';
    let p = 0;
    while (p < last) {
      if (p) out += a[0];
      let n = 0n;
      for (let k = 0; k < size && p < b.length; k++) n = (n << 8n) + BigInt(b[p++]);
      out += n.toString();
    }
    return smp.setStr(out);
  },
  beArgs,
);
defConv(
  'be2hex',
  (smp, _c, a) => {
    const b = smp.v as Buffer;
    let size: number = a[1] ?? 0;
    if (!a[0].length && !a[2]) size = b.length;
    const last = a[2] ? b.length - size + 1 : b.length;
    let out = '';
    let p = 0;
    while (p < last) {
      if (p) out += a[0];
      for (let k = 0; k < size && p < b.length; k++) out += b[p++].toString(16).toUpperCase().padStart(2, '0');
      if (size <= 0) break;
    }
    return smp.setStr(out);
  },
  beArgs,
);
