/**
 * Compiled sample expressions: `fetch(args),conv(args),...` ready to run
 * against a SampleContext (HAProxy's sample_process). The text is parsed by
 * sample.ts; here each keyword is bound to its runtime implementation and
 * its arguments are prepared once.
 */
import type { SampleContext } from './context.js';
import { parseSampleExpr, type SampleExpr } from './sample.js';
import { convImpls, fetchImpls, type CompileEnv, type ConvFn, type FetchFn } from './registry.js';
import { Sample, T, cast, typeOf, OPT_FINAL, sampleToString, F_MAY_CHANGE } from './types.js';
import './fetches/index.js';
import './converters/index.js';

export interface CompiledConv {
  name: string;
  fn: ConvFn;
  in: T;
  args: any[];
}

export interface CompiledExpr {
  text: string;
  fetchName: string;
  fetch: FetchFn;
  args: any[];
  convs: CompiledConv[];
  /** declared output type of the last stage */
  out: T;
  /** false when a keyword has no runtime implementation (it then never returns a sample) */
  supported: boolean;
}

const unsupportedFetch: FetchFn = () => false;
const unsupportedConv: ConvFn = () => false;

export function compileParsedExpr(e: SampleExpr, env: CompileEnv): CompiledExpr {
  return compileParts(e.fetch.name, e.args, e.fetch.out, e.convs.map((c) => ({ name: c.conv.name, args: c.args, in: c.conv.in, out: c.conv.out })), e.text, env);
}

export function compileParts(
  fetchName: string,
  fargs: string[],
  fetchOut: string,
  convs: { name: string; args: string[]; in: string; out: string }[],
  text: string,
  env: CompileEnv,
): CompiledExpr {
  let supported = true;
  const fi = fetchImpls.get(fetchName);
  if (!fi) {
    supported = false;
    env.warnings.push(`sample fetch '${fetchName}' is not implemented at runtime`);
  }
  const out: CompiledExpr = {
    text,
    fetchName,
    fetch: fi ? fi.fn : unsupportedFetch,
    args: fi?.prep ? fi.prep(fargs, env, fetchName) : fargs,
    convs: [],
    out: typeOf(fetchOut),
    supported,
  };
  for (const c of convs) {
    const ci = convImpls.get(c.name);
    if (!ci) {
      out.supported = false;
      env.warnings.push(`converter '${c.name}' is not implemented at runtime`);
    }
    out.convs.push({ name: c.name, fn: ci ? ci.fn : unsupportedConv, in: typeOf(c.in), args: ci?.prep ? ci.prep(c.args, env, c.name) : c.args });
    out.out = typeOf(c.out);
  }
  return out;
}

/** Parses and compiles `text` (one word, as in a rule). Throws on a syntax error. */
export function compileExpr(text: string, env: CompileEnv): CompiledExpr {
  const r = parseSampleExpr(text);
  if ('error' in r) throw new Error(r.error);
  return compileParsedExpr(r.expr, env);
}

/**
 * sample_process: runs the fetch (continuing its iteration when the sample
 * carries state) and the converters. False when there is no sample; then
 * smp.flags tells whether it may still come (F_MAY_CHANGE).
 */
export function processExpr(e: CompiledExpr, ctx: SampleContext, smp: Sample): boolean {
  smp.flags = 0;
  if (!e.fetch(smp, ctx, e.args, e.fetchName)) return false;
  const cs = e.convs;
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k];
    if (smp.t !== c.in && !cast(smp, c.in)) return false;
    if (!c.fn(smp, ctx, c.args)) return false;
  }
  return true;
}

const scratch = new Sample();

/**
 * One value (sample_fetch_as_type): undefined when absent; 'wait' when absent
 * or unstable but may change and `final` is false.
 */
export function evalExpr(e: CompiledExpr, ctx: SampleContext, final = true): Sample | 'wait' | undefined {
  const smp = new Sample().reset(final ? OPT_FINAL : 0);
  if (!processExpr(e, ctx, smp)) return !final && smp.flags & F_MAY_CHANGE ? 'wait' : undefined;
  if (!final && smp.flags & F_MAY_CHANGE) return 'wait';
  return smp;
}

/** The expression's value as text (log-format %[...]); undefined when absent. */
export function evalString(e: CompiledExpr, ctx: SampleContext): string | undefined {
  const smp = scratch.reset(OPT_FINAL);
  if (!processExpr(e, ctx, smp)) return undefined;
  return sampleToString(smp);
}

/** The expression's value cast to `type` (HAProxy's sample_fetch_as_type with a final option). */
export function evalAs(e: CompiledExpr, ctx: SampleContext, type: T): Sample | undefined {
  const smp = new Sample().reset(OPT_FINAL);
  if (!processExpr(e, ctx, smp)) return undefined;
  if (!cast(smp, type)) return undefined;
  return smp;
}
