/**
 * Headers of the sections that are not proxies: userlist, peers, resolvers,
 * mailers, cache, http-errors, ring, program, log-forward, fcgi-app. Each one
 * becomes a NamedSection of the model; their keywords are rows like any other.
 */
import { ERR_ABORT, ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import { newSection, type NamedSection } from '../../model.js';
import type { SectionKind } from '../../registry.js';
import { invalidChar, registerSection } from '../../sections.js';
import { closeSection, unknownInSection } from './keywords.js';

const NAMED: SectionKind[] = [
  'userlist', 'peers', 'resolvers', 'mailers', 'cache', 'http-errors', 'ring', 'program', 'log-forward', 'fcgi-app',
];

for (const kind of NAMED) {
  registerSection({
    name: kind,
    kind,
    open(ctx, state) {
      state.proxy = undefined;
      state.unknown = undefined;
      state.unknownKeyword = unknownInSection;
      const name = ctx.args[1];
      let err = 0;
      if (name === undefined) {
        const what = kind === 'userlist' ? 'userlist' : kind;
        ctx.alert(`'${what}' expects <name> as argument.`);
        state.named = undefined;
        state.unknown = () => 0;
        return ERR_ALERT | ERR_ABORT;
      }
      const bad = invalidChar(name);
      if (bad) err |= ctx.alert(`character '${bad}' is not permitted in '${kind}' name '${name}'.`);
      const prev = ctx.config.sections.find((s) => s.kind === kind && s.name === name);
      if (prev && kind !== 'program') {
        err |= ctx.alert(`${kind} section '${name}' has the same name as another ${kind} section declared at ${prev.file}:${prev.line}.`);
      }
      const sec: NamedSection = newSection(kind, name, ctx.pos());
      ctx.config.sections.push(sec);
      state.named = sec;
      state.close = () => closeSection(sec, ctx.diags);
      return err;
    },
  });
}

export const _f = ERR_FATAL;
