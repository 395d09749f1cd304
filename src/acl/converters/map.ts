/**
 * Map converters: map, map_<match>, map_<match>_<output> (7.3.1). The map
 * file is read once per (file, match, output) and shared by every rule
 * using it; lookups go through the matchers of match.ts.
 */
import { defConv, type CompileEnv } from '../registry.js';
import { T } from '../types.js';
import { buildMatcher, parseMapValue, readMapFile, resolvePath, type Matcher } from '../match.js';

interface MapDesc {
  matcher: Matcher;
  out: T;
  regm: boolean;
}

const maps = new Map<string, MapDesc>();

/** Loads (or reuses) the map behind `file` for the given match method and output type. */
export function loadMap(file: string, method: string, out: T, env: CompileEnv): MapDesc {
  const path = resolvePath(file, env.baseDir);
  const key = `${path}\0${method}\0${out}`;
  let d = maps.get(key);
  if (d) return d;
  let lines: { key: string; value?: string }[] = [];
  try {
    lines = readMapFile(path);
  } catch (e) {
    env.warnings.push(`failed to open map file <${file}>: ${(e as Error).message}`);
  }
  const m = buildMatcher(method === 'regm' ? 'reg' : method, lines, { out });
  for (const err of m.errors) env.warnings.push(`map <${file}>: ${err}`);
  d = { matcher: m.matcher, out, regm: method === 'regm' };
  maps.set(key, d);
  return d;
}

/** Forgets loaded maps (the runtime's "clear map"/reload paths). */
export function clearMaps(): void {
  maps.clear();
}

const METHODS = ['str', 'beg', 'dir', 'dom', 'end', 'int', 'ip', 'reg', 'regm', 'sub'];

function register(name: string, method: string, out: T): void {
  defConv(
    name,
    (smp, _c, a) => {
      const d = a[0] as MapDesc;
      const e = d.matcher.match(smp);
      if (e) {
        const data = e.data;
        if (!data) return smp.setBool(true);
        if (d.regm && e.re && data.t === T.STR) {
          const m = e.re.exec(smp.v);
          smp.t = T.STR;
          smp.v = m ? (data.v as string).replace(/\\(\d)/g, (_x, n: string) => m[Number(n)] ?? '') : data.v;
          return true;
        }
        smp.t = data.t;
        smp.v = data.v;
        return true;
      }
      const dflt = a[1];
      if (!dflt) return false;
      smp.t = dflt.t;
      smp.v = dflt.v;
      return true;
    },
    (args, env) => {
      const d = loadMap(args[0] ?? '', method, out, env);
      let dflt;
      if (args[1] !== undefined) {
        dflt = parseMapValue(args[1], out);
        if (!dflt) env.warnings.push(`${name}: invalid default value '${args[1]}'`);
      }
      return [d, dflt];
    },
  );
}

register('map', 'str', T.STR);
for (const m of METHODS) {
  register(`map_${m}`, m, T.STR);
  if (m === 'regm') continue;
  register(`map_${m}_int`, m, T.SINT);
  register(`map_${m}_ip`, m, T.ADDR);
}
