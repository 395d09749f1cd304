/**
 * Server state files (global `server-state-file` / `server-state-base`, proxy
 * `load-server-state-from-file` / `server-state-file-name`). HAProxy reads
 * them once the configuration is checked and before server addresses are
 * resolved, also under -c; tshaproxy does not apply their content, but warns
 * about the files HAProxy cannot use, with HAProxy 2.6's words.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ERR_WARN, type Diagnostics } from '../../../parser/diagnostics.js';
import type { Config, Proxy } from '../../model.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { directiveInForce } from '../generic.js';
import { isBackend } from '../proxy/section.js';

function globalValue(config: Config, kw: string): string | undefined {
  const l = config.global.directives;
  for (let i = l.length - 1; i >= 0; i--) if (l[i].keyword === kw) return l[i].args[0];
  return undefined;
}

/** srv_state_get_filepath(): an absolute name as is, else under `server-state-base` when set. */
function statePath(config: Config, name: string): string {
  const base = globalValue(config, 'server-state-base');
  if (name.startsWith('/') || !base) return name;
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** Opens the file and reads its first line: an error text, or whether it holds a known version ("1"). */
function readVersion(path: string): { error: string } | { ok: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    return { error: STRERROR[code] ?? code };
  }
  try {
    const buf = Buffer.alloc(64);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } catch {
      // a directory opens but cannot be read: no version
    }
    const first = buf.subarray(0, n).toString('latin1').split('\n')[0];
    return { ok: /^\s*1\s*$/.test(first) };
  } finally {
    closeSync(fd);
  }
}

/** The proxy's `load-server-state-from-file` mode, its own or its defaults section's. */
function loadMode(p: Proxy): string | undefined {
  return directiveInForce(p, 'load-server-state-from-file')?.args[0];
}

/** A backend told to use the global file while none is set (check_config_validity). */
registerProxyCheck(Stage.serverStateFile, (p, config, diags) => {
  if (!isBackend(p) || loadMode(p) !== 'global' || globalValue(config, 'server-state-file') !== undefined) return 0;
  diags.warning(
    `backend '${p.name}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!`,
    undefined,
    undefined,
    'none',
  );
  return ERR_WARN;
});

/**
 * HAProxy's apply_server_state() warnings: the global file, then each enabled
 * proxy with servers that loads a local file. File contents beyond the
 * version line are not read.
 */
export function serverStateWarnings(config: Config, diags: Diagnostics): number {
  let err = 0;
  const warn = (m: string) => {
    diags.warning(m, undefined, undefined, 'none');
    err |= ERR_WARN;
  };
  const g = globalValue(config, 'server-state-file');
  if (g !== undefined) {
    const path = statePath(config, g);
    const r = readVersion(path);
    if ('error' in r) warn(`config: Can't open global server state file '${path}': ${r.error}`);
    else if (!r.ok) warn(`config: Can't get version of the global server state file '${path}'.`);
  }
  for (const p of config.proxies) {
    if (p.disabled || !p.servers.length || loadMode(p) !== 'local') continue;
    const named = directiveInForce(p, 'server-state-file-name')?.args[0];
    const name = named === undefined || named === '' || named === 'use-backend-name' ? p.name : named;
    const path = statePath(config, name);
    const r = readVersion(path);
    if ('error' in r) warn(`Proxy '${p.name}': Can't open server state file '${path}': ${r.error}.`);
    else if (!r.ok) warn(`Proxy '${p.name}': Can't get version of the server state file '${path}'.`);
  }
  return err;
}
