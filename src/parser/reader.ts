/**
 * Reads configuration files into the model, the way HAProxy 2.6's
 * readcfgfile() walks them: line by line, conditional blocks, `.notice` and
 * friends, the `no`/`default` modifiers, section headers, then the keyword
 * registry for everything else. Never throws on any input: every problem is a
 * Diagnostic with its file and line.
 */
import { bindOptionsNotHonoured, isHonoured, serverOptionsNotHonoured } from '../config/support.js';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineScanner } from '../../grammar/scanner.js';
import { expandLine, caretLines } from './words.js';
import { evalCondition, CondError, condErrorText } from './cfgcond.js';
import { Diagnostics, ERR_ABORT, ERR_ALERT, ERR_FATAL, ERR_WARN, type Diagnostic, type PosStyle } from './diagnostics.js';
import { newConfig, type Config } from '../config/model.js';
import {
  bestMatch,
  findKeyword,
  suggestionsFor,
  type KwContext,
  type ParseOptions,
  type SectionKind,
} from '../config/registry.js';
import { sectionHeaders, type SectionState } from '../config/sections.js';

export const FEATURES = new Set([
  'EPOLL', 'KQUEUE', 'NETFILTER', 'PCRE2', 'PCRE2_JIT', 'POLL', 'THREAD', 'BACKTRACE', 'TPROXY',
  'LINUX_TPROXY', 'LINUX_SPLICE', 'LIBCRYPT', 'CRYPT_H', 'GETADDRINFO', 'OPENSSL', 'LUA', 'ACCEPT4',
  'SLZ', 'TFO', 'NS', 'DL', 'RT', 'PRCTL', 'THREAD_DUMP', 'CPU_AFFINITY', 'SYSTEMD', 'OT', 'PROMEX',
]);

export interface ReadResult {
  config: Config;
  diags: Diagnostics;
  /** OR of ERR_* flags over all files */
  flags: number;
  /** the file that stopped everything (ERR_ABORT), if any */
  aborted?: string;
}

/** Expands -f arguments: a directory gives its *.cfg files in lexical order. */
export function expandConfigPaths(paths: string[], diags: Diagnostics): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p);
      continue;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p).filter((n) => n.endsWith('.cfg')).sort();
      } catch (e) {
        diags.alert(`Cannot open configuration directory ${p} : ${(e as Error).message}`, undefined, undefined, 'none');
      }
      for (const n of names) {
        const f = join(p, n);
        try {
          if (statSync(f).isFile()) out.push(f);
        } catch {
          /* vanished */
        }
      }
    } else out.push(p);
  }
  return out;
}

const NEGATABLE = new Set([
  'option', 'log', 'busy-polling', 'set-dumpable', 'strict-limits', 'insecure-fork-wanted', 'numa-cpu-mapping',
]);

/** Reads and parses every file; returns the model and what was found. */
export function readConfig(
  files: string[],
  opts: ParseOptions,
  load: (file: string) => string = (f) => readFileSync(f, 'latin1'),
): ReadResult {
  const diags = new Diagnostics();
  const config = newConfig();
  config.files = files;
  const state: SectionState = { kind: undefined, config };
  let flags = 0;
  for (const file of files) {
    let text: string;
    try {
      text = load(file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message;
      diags.alert(`Could not open configuration file ${file} : ${reason}`, undefined, undefined, 'none');
      return { config, diags, flags: flags | ERR_ALERT | ERR_FATAL | ERR_ABORT, aborted: file };
    }
    const f = readOne(file, text, state, config, diags, opts);
    if (f & (ERR_ABORT | ERR_FATAL)) diags.alert(`Error(s) found in configuration file : ${file}`, undefined, undefined, 'none');
    flags |= f;
    if (f & ERR_ABORT) {
      finishSupportNotes(diags);
      return { config, diags, flags, aborted: file };
    }
  }
  // close the last section
  if (state.kind && state.close) flags |= state.close();
  finishSupportNotes(diags);
  return { config, diags, flags };
}

const enum Cond {
  IfTake,
  IfDrop,
  IfSkip,
  ElifTake,
  ElifDrop,
  ElifSkip,
  ElseTake,
  ElseDrop,
}
const MAXNESTEDCONDS = 10;

function dropping(c: Cond): boolean {
  return c === Cond.IfDrop || c === Cond.IfSkip || c === Cond.ElifDrop || c === Cond.ElifSkip || c === Cond.ElseDrop;
}

function readOne(
  file: string,
  text: string,
  state: SectionState,
  config: Config,
  diags: Diagnostics,
  opts: ParseOptions,
): number {
  let err = 0;
  let fatal = 0;
  const conds: Cond[] = [];
  let lineNo = 0;
  let sectionName = '';
  let curLine = 0;
  const getenv = (n: string) => (n === '.LINE' ? String(curLine) : opts.getenv(n));
  const raw = new LineScanner(text);
  const hasNul = text.indexOf('\0') >= 0;
  let lastLine = 0;
  let tooMany = false;
  while (raw.next()) {
    lineNo = raw.line;
    lastLine = lineNo;
    if (fatal >= 50) {
      diags.alert(`too many fatal errors (${fatal}), stopping now.`, file, lineNo, 'parsing-tight');
      tooMany = true;
      break;
    }
    // a NUL byte ends the line for HAProxy (fgets+strlen); what follows it is a stray
    const nul = hasNul ? raw.text.indexOf('\0') : -1;
    if (nul >= 0) {
      diags.alert(`Stray NUL character at position ${nul + 1}.`, file, lineNo + 1, 'parsing-tight');
      err |= ERR_ALERT | ERR_FATAL;
      break;
    }
    if (raw.words.length === 0) continue;
    curLine = lineNo;
    const exp = expandLine(raw, { getenv, file, section: sectionName });
    if (exp.error) {
      const e = exp.error;
      const trimmed = raw.text.replace(/^[ \t\v\f\r]+/, '');
      const lead = raw.text.length - trimmed.length;
      if (e.kind === 'toomany') {
        diags.alert(e.message, file, lineNo, 'parsing-tight');
      } else {
        diags.alert(
          `${e.message} at position ${e.position}:\n${caretLines(trimmed, e.position - 1 - lead)}`,
          file,
          lineNo,
          'parsing-tight',
        );
      }
      err |= ERR_ALERT | ERR_FATAL;
      fatal++;
      continue;
    }
    let args = exp.args;
    let columns = exp.columns;
    if (args.length === 0) continue;

    // conditional blocks
    if (args[0][0] === '.') {
      const d = args[0];
      const level = conds.length;
      if (d === '.if' || d === '.elif') {
        const expr = args.slice(1).join(' ');
        if (d === '.if') {
          if (level + 1 >= MAXNESTEDCONDS) {
            diags.alert(`too many nested '.if', max is ${MAXNESTEDCONDS}.`, file, lineNo, 'parsing-tight');
            return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
          }
          if (level > 0 && dropping(conds[level - 1])) {
            conds.push(Cond.IfSkip);
            continue;
          }
        } else {
          if (!level) {
            diags.alert(`lone '.elif' with no matching '.if'.`, file, lineNo, 'parsing-tight');
            return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
          }
          const c = conds[level - 1];
          if (c === Cond.ElseTake || c === Cond.ElseDrop) {
            diags.alert(`'.elif' after '.else' is not permitted.`, file, lineNo, 'parsing-tight');
            return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
          }
          if (c === Cond.IfTake || c === Cond.IfSkip || c === Cond.ElifTake || c === Cond.ElifSkip) {
            conds[level - 1] = Cond.ElifSkip;
            continue;
          }
        }
        let v: boolean;
        try {
          v = evalCondition(expr, { getenv, features: FEATURES, version: opts.version });
        } catch (e) {
          if (e instanceof CondError) {
            diags.alert(condErrorText(d, expr, e), file, lineNo, 'parsing-tight');
            return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
          }
          throw e;
        }
        if (d === '.if') conds.push(v ? Cond.IfTake : Cond.IfDrop);
        else conds[level - 1] = v ? Cond.ElifTake : Cond.ElifDrop;
        continue;
      }
      if (d === '.else' || d === '.endif') {
        if (args[1] !== undefined) {
          diags.alert(`Unexpected argument '${args[1]}' for '${d}'.`, file, lineNo, 'parsing-tight');
          return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
        }
        if (!level) {
          diags.alert(`lone '${d}' with no matching '.if'.`, file, lineNo, 'parsing-tight');
          return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
        }
        if (d === '.endif') {
          conds.pop();
          continue;
        }
        const c = conds[level - 1];
        if (c === Cond.ElseTake || c === Cond.ElseDrop) {
          diags.alert(`'.else' after '.else' is not permitted.`, file, lineNo, 'parsing-tight');
          return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
        }
        conds[level - 1] =
          c === Cond.IfTake || c === Cond.IfSkip || c === Cond.ElifTake || c === Cond.ElifSkip ? Cond.ElseDrop : Cond.ElseTake;
        continue;
      }
    }
    if (conds.length && dropping(conds[conds.length - 1])) continue;

    if (args[0][0] === '.') {
      const d = args[0];
      if (d === '.alert' || d === '.warning' || d === '.notice' || d === '.diag') {
        if (args[2] !== undefined) {
          diags.alert(
            `Unexpected argument '${args[2]}' for '${d}'. Use quotes if the message should contain spaces.`,
            file,
            lineNo,
            'parsing-tight',
          );
          err |= ERR_ALERT | ERR_FATAL;
          continue;
        }
        const msg = `'${args[1] ?? ''}'.`;
        if (d === '.alert') {
          diags.alert(msg, file, lineNo, 'parsing-tight');
          return err | ERR_ALERT | ERR_FATAL | ERR_ABORT;
        }
        if (d === '.warning') {
          diags.warning(msg, file, lineNo, 'parsing-tight');
          err |= ERR_WARN;
        } else if (d === '.notice') diags.notice(msg, file, lineNo, 'parsing-tight');
        continue;
      }
      diags.alert(`unknown directive '${d}'.`, file, lineNo, 'parsing-tight');
      err |= ERR_ALERT | ERR_FATAL;
      fatal++;
      break;
    }

    // keyword modifiers
    let kwm: 'std' | 'no' | 'default' = 'std';
    if (args[0] === 'no' || args[0] === 'default') {
      kwm = args[0] === 'no' ? 'no' : 'default';
      args = args.slice(1);
      columns = columns.slice(1);
      if (args.length === 0) args = [''];
    }
    if (kwm !== 'std' && !NEGATABLE.has(args[0])) {
      diags.alert(
        'negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.',
        file,
        lineNo,
        'parsing-tight',
      );
      err |= ERR_ALERT | ERR_FATAL;
      fatal++;
    }

    // section start
    const header = sectionHeaders.get(args[0]);
    if (header) {
      if (state.kind && state.close) {
        const s = state.close();
        err |= s;
        if (s & ERR_FATAL) fatal++;
        if (err & ERR_ABORT) return err;
      }
      state.close = undefined;
      state.unknown = undefined;
      state.unknownKeyword = undefined;
      state.kind = header.kind;
      sectionName = args[1] ?? args[0];
    }

    if (!state.kind) {
      diags.alert(`unknown keyword '${args[0]}' out of section.`, file, lineNo, 'parsing-tight');
      err |= ERR_ALERT | ERR_FATAL;
      fatal++;
      continue;
    }

    const ctx = makeContext(args, columns, file, lineNo, kwm, state, config, diags, opts);
    let s: number;
    if (header) s = header.open(ctx, state);
    else s = dispatch(ctx, state);
    err |= s;
    if (s & ERR_FATAL) fatal++;
    if (err & ERR_ABORT) return err;
  }

  // the file's real last line, even when a stray NUL stopped the reading before it (but
  // after "too many fatal errors" HAProxy has read no further than the line it stopped at)
  let eofLine = raw.line;
  let eofTerminated = raw.terminated;
  let eofLen = raw.end - raw.start;
  while (!tooMany && raw.next()) {
    eofLine = raw.line;
    eofTerminated = raw.terminated;
    eofLen = raw.end - raw.start;
  }
  if (!eofTerminated) {
    diags.alert(
      `Missing LF on last line, file might have been truncated at position ${eofLen + 1}.`,
      file,
      eofLine,
      'parsing-tight',
    );
    err |= ERR_ALERT | ERR_FATAL;
  }
  if (state.kind && state.close) {
    err |= state.close();
    state.close = undefined;
  }
  if (conds.length) {
    diags.alert(`non-terminated '.if' block.`, file, lastLine, 'parsing-tight');
    err |= ERR_ALERT | ERR_FATAL | ERR_ABORT;
  }
  state.kind = undefined;
  return err;
}

/**
 * What a keyword parser receives. A class, so that the 50,000 lines of a big
 * configuration share its methods instead of each allocating closures.
 */
class LineContext implements KwContext {
  section: SectionKind;
  proxy: KwContext['proxy'];
  defproxy: KwContext['defproxy'];
  named: KwContext['named'];
  constructor(
    public args: string[],
    public columns: number[],
    public file: string,
    public line: number,
    public kwm: 'std' | 'no' | 'default',
    state: SectionState,
    public config: Config,
    public diags: Diagnostics,
    public opts: ParseOptions,
  ) {
    this.section = state.kind as SectionKind;
    this.proxy = state.proxy;
    this.defproxy = state.defproxy;
    this.named = state.named;
  }
  pos() {
    return { file: this.file, line: this.line, column: this.columns[0] };
  }
  alert(message: string, style: PosStyle = 'parsing') {
    this.diags.alert(message, this.file, this.line, style, this.columns[0]);
    return ERR_ALERT | ERR_FATAL;
  }
  warn(message: string, style: PosStyle = 'parsing') {
    this.diags.warning(message, this.file, this.line, style, this.columns[0]);
    return ERR_WARN;
  }
  note(message: string) {
    this.diags.own(this.opts.strict ? 'notice' : 'warning', message, this.file, this.line, 'parsing');
  }
}

/** A copy of `ctx` with some fields replaced (methods keep working on the copy). */
export function deriveContext(ctx: KwContext, over: Partial<KwContext>): KwContext {
  return Object.assign(Object.create(ctx) as KwContext, over);
}

function makeContext(
  args: string[],
  columns: number[],
  file: string,
  line: number,
  kwm: 'std' | 'no' | 'default',
  state: SectionState,
  config: Config,
  diags: Diagnostics,
  opts: ParseOptions,
): KwContext {
  return new LineContext(args, columns, file, line, kwm, state, config, diags, opts);
}

/** Keywords whose second word says what they do (`option httplog`, `http-request deny`...). */
const TWO_WORD = new Set([
  'option', 'timeout', 'stats', 'capture', 'tcp-request', 'tcp-response', 'http-check', 'tcp-check', 'email-alert',
  'stick', 'monitor', 'persist', 'rate-limit', 'external-check', 'declare', 'balance', 'http-request',
  'http-response', 'http-after-response', 'compression', 'filter', 'http-error',
]);

/**
 * The "not honoured" notes of a run: one per keyword, on its first line, with
 * how many lines use it. Counters are found by the keyword's words, without
 * building its label for every line (a big configuration has thousands).
 */
const supportNotes = new WeakMap<Diagnostics, Map<string, Map<string, { d: Diagnostic; n: number }>>>();

function notHonoured(ctx: KwContext, first?: string, second?: string): void {
  const a = ctx.args;
  const w1 = first ?? a[0];
  const w2 = first !== undefined ? second ?? '' : TWO_WORD.has(a[0]) && a[1] ? a[1] : '';
  let m = supportNotes.get(ctx.diags);
  if (!m) supportNotes.set(ctx.diags, (m = new Map()));
  let byFirst = m.get(w1);
  if (!byFirst) m.set(w1, (byFirst = new Map()));
  const seen = byFirst.get(w2);
  if (seen) {
    seen.n++;
    return;
  }
  const label = w2 ? `${w1} ${w2}` : w1;
  ctx.note(`'${label}' is accepted but not honoured by tshaproxy's runtime yet.`);
  const list = ctx.diags.list;
  byFirst.set(w2, { d: list[list.length - 1], n: 1 });
}

/** The keywords of a bind / server / default-server / server-template line the runtime ignores. */
function serverLineNotHonoured(ctx: KwContext): string[] {
  const p = ctx.proxy!;
  const kw = ctx.args[0];
  if (kw === 'bind') {
    const b = p.binds[p.binds.length - 1];
    return b ? bindOptionsNotHonoured(b.options.keys(), b.options, p.mode === 'http') : [];
  }
  const conf = kw === 'default-server' ? p.defaultServer : kw === 'server' || kw === 'server-template' ? p.servers[p.servers.length - 1] : undefined;
  return conf ? serverOptionsNotHonoured(conf.options.keys()) : [];
}

/** Says on each note how many lines use the keyword (called when every file is read). */
function finishSupportNotes(diags: Diagnostics): void {
  const m = supportNotes.get(diags);
  if (!m) return;
  for (const byFirst of m.values()) {
    for (const { d, n } of byFirst.values()) {
      if (n > 1) d.message = d.message.replace(/\.$/, ` (here and on ${n - 1} other line${n > 2 ? 's' : ''}).`);
    }
  }
  supportNotes.delete(diags);
}

/**
 * isHonoured(), remembering the keywords honoured whatever follows them
 * (`server`, `bind`...), which are most lines of a big configuration.
 */
const honouredAlone = new Map<string, Set<string>>();
/** answers for the other lines, by section kind and first three words, for one run */
const honouredByRun = new WeakMap<Diagnostics, Map<string, Map<string, Map<string, Map<string, boolean>>>>>();
function honoured(ctx: KwContext, kind: SectionKind, args: string[]): boolean {
  let known = honouredAlone.get(kind);
  if (!known) honouredAlone.set(kind, (known = new Set()));
  const kw = args[0];
  if (known.has(kw)) return true;
  if (kw !== 'option' && kw !== 'no' && isHonoured(kind, [kw])) {
    known.add(kw);
    return true;
  }
  // isHonoured() reads at most three words; within a run the answers do not change
  let run = honouredByRun.get(ctx.diags);
  if (!run) honouredByRun.set(ctx.diags, (run = new Map()));
  let k1 = run.get(kind);
  if (!k1) run.set(kind, (k1 = new Map()));
  let k2 = k1.get(kw);
  if (!k2) k1.set(kw, (k2 = new Map()));
  const a1 = args[1] ?? '';
  let k3 = k2.get(a1);
  if (!k3) k2.set(a1, (k3 = new Map()));
  const a2 = args[2] ?? '';
  let r = k3.get(a2);
  if (r === undefined) k3.set(a2, (r = isHonoured(kind, args)));
  return r;
}

/** Finds the keyword row for the current section and runs it. */
function dispatch(ctx: KwContext, state: SectionState): number {
  const kind = state.kind!;
  if (state.unknown) {
    const r = state.unknown(ctx);
    if (r !== undefined) return r;
  }
  const row = findKeyword(ctx.args[0], kind);
  if (row) {
    if (row.legacy && ctx.opts.strict === false) {
      /* legacy rows give their own warning */
    }
    const r = row.parse(ctx);
    if (ctx.opts.supportWarnings && !(r & ERR_FATAL)) {
      if (!honoured(ctx, kind, ctx.args)) notHonoured(ctx);
      else if (ctx.proxy) for (const o of serverLineNotHonoured(ctx)) notHonoured(ctx, ctx.args[0], o);
    }
    return r;
  }
  return state.unknownKeyword ? state.unknownKeyword(ctx) : genericUnknown(ctx, kind);
}

export function genericUnknown(ctx: KwContext, kind: SectionKind): number {
  const best = bestMatch(ctx.args[0], suggestionsFor(kind));
  const label = kind === 'userlist' ? 'users' : kind;
  const style: PosStyle = kind === 'userlist' ? 'parsing-tight' : 'parsing';
  return ctx.alert(`unknown keyword '${ctx.args[0]}' in '${label}' section${best ? `; did you mean '${best}' maybe ?` : ''}`, style);
}
