/**
 * Section headers (`global`, `frontend x`, `userlist y`...). A module that
 * implements a section registers its header here with `registerSection`; the
 * reader switches sections when a line starts with a registered name.
 */
import type { Config, NamedSection, Proxy } from './model.js';
import type { KwContext, SectionKind } from './registry.js';

export interface SectionState {
  kind: SectionKind | undefined;
  config: Config;
  proxy?: Proxy;
  defproxy?: Proxy;
  /** the defaults section in force for the next proxy (last one read) */
  currentDefaults?: Proxy;
  named?: NamedSection;
  /** called when the section ends (next header or end of file); returns ERR_* flags */
  close?: () => number;
  /** called before keyword lookup; returns flags to stop there, or undefined to go on */
  unknown?: (ctx: KwContext) => number | undefined;
  /** replaces the generic "unknown keyword" alert */
  unknownKeyword?: (ctx: KwContext) => number;
}

export interface SectionHeader {
  name: string;
  kind: SectionKind;
  open(ctx: KwContext, state: SectionState): number;
}

export const sectionHeaders = new Map<string, SectionHeader>();

export function registerSection(h: SectionHeader): void {
  sectionHeaders.set(h.name, h);
}

/** HAProxy's invalid_char(): names may hold letters, digits, '-', '_', '.', ':'. */
export function invalidChar(name: string): string | undefined {
  for (const c of name) {
    if (!/[A-Za-z0-9\-_.:]/.test(c)) return c;
  }
  return undefined;
}
