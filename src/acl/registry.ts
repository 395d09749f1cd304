/**
 * Runtime implementations of sample fetches and converters, registered by
 * name (one module per family under fetches/ and converters/). The names,
 * argument syntax and output types come from the tables in sample.ts; a row
 * here adds what the keyword does at runtime. `prep` turns the argument
 * strings into ready values once, at compile time.
 */
import type { SampleContext } from './context.js';
import type { Sample } from './types.js';
import type { Config, Proxy } from '../config/model.js';

export interface CompileEnv {
  /** the proxy the expression belongs to (the defaults section for inherited rules) */
  proxy?: Proxy;
  config?: Config;
  /** the folder relative pattern/map file names are opened from (HAProxy: the current directory) */
  baseDir?: string;
  /** problems found while compiling (unsupported keywords, unreadable files) */
  warnings: string[];
}

export class CompileError extends Error {}

export type FetchFn = (smp: Sample, ctx: SampleContext, args: any[], kw: string) => boolean;
export type ConvFn = (smp: Sample, ctx: SampleContext, args: any[]) => boolean;
export type PrepFn = (args: string[], env: CompileEnv, kw: string) => any[];

export interface FetchImpl {
  fn: FetchFn;
  prep?: PrepFn;
}

export interface ConvImpl {
  fn: ConvFn;
  prep?: PrepFn;
}

export const fetchImpls = new Map<string, FetchImpl>();
export const convImpls = new Map<string, ConvImpl>();

export function defFetch(names: string | string[], fn: FetchFn, prep?: PrepFn): void {
  for (const n of Array.isArray(names) ? names : [names]) fetchImpls.set(n, { fn, prep });
}

export function defConv(names: string | string[], fn: ConvFn, prep?: PrepFn): void {
  for (const n of Array.isArray(names) ? names : [names]) convImpls.set(n, { fn, prep });
}

/* ---- argument helpers for prep functions ---------------------------------------------- */

export function argInt(s: string | undefined, dflt = 0): number {
  if (s === undefined || s === '') return dflt;
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? dflt : n;
}
