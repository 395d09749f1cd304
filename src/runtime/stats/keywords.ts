/**
 * The runtime API's command table as HAProxy 2.6 registers it (cli_kws of
 * every module): the words that select a command, its usage line (what
 * `help` lists) and the level needed to run it. tshaproxy runs a part of
 * them (cli.ts); the others answer as HAProxy answers a command it does not
 * know, so the table must list them all: "Unknown command" messages are
 * built from it with HAProxy's fuzzy matching (cli_gen_usage_msg).
 *
 * The order is HAProxy's registration order as far as it shows: it decides
 * which of equally close commands are proposed, and was inferred from the
 * proposals of HAProxy 2.6.12 on a few thousand mistyped commands.
 */
import { wordFingerprint } from '../../config/registry.js';

export const LVL_USER = 1;
export const LVL_OPER = 2;
export const LVL_ADMIN = 3;

export interface CliKeyword {
  words: string[];
  usage?: string;
}

/** [words, usage padded as HAProxy prints it, or '' for commands help does not list] */
const TABLE: [string, string][] = [
  ['help', ''],
  ['prompt', ''],
  ['quit', ''],
  ['_getsocks', ''],
  ['expert-mode', ''],
  ['experimental-mode', ''],
  ['clear counters', 'clear counters [all]                    : clear max statistics counters (or all counters)'],
  ['enable dynamic-cookie backend', 'enable dynamic-cookie backend <bk>      : enable dynamic cookies on a specific backend'],
  ['new ssl cert', 'new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory'],
  ['new ssl ca-file', 'new ssl ca-file <cafile>                : create a new CA file to be used in a crt-list'],
  ['show ssl ca-file', 'show ssl ca-file [<cafile>[:<index>]]   : display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>'],
  ['show ssl crl-file', 'show ssl crl-file [<crlfile[:<index>>]] : display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>'],
  ['add ssl crt-list', 'add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload'],
  ['del ssl crt-list', 'del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>'],
  ['commit ssl ca-file', 'commit ssl ca-file <cafile>             : commit a CA file'],
  ['abort ssl cert', 'abort ssl cert <certfile>               : abort a transaction for a certificate file'],
  ['show ssl crt-list', 'show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>'],
  ['show tls-keys', 'show tls-keys [id|*]                    : show tls keys references or dump tls ticket keys when id specified'],
  ['set ssl tls-key', 'set ssl tls-key [id|file] <key>         : set the next TLS key for the <id> or <file> listener to <key>'],
  ['set ssl cert', 'set ssl cert <certfile> <payload>       : replace a certificate file'],
  ['commit ssl cert', 'commit ssl cert <certfile>              : commit a certificate file'],
  ['show ssl cert', 'show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file'],
  ['set ssl ca-file', 'set ssl ca-file <cafile> <payload>      : replace a CA file'],
  ['new ssl crl-file', 'new ssl crlfile <crlfile>               : create a new CRL file to be used in a crt-list'],
  ['commit ssl crl-file', 'commit ssl crl-file <crlfile>           : commit a CRL file'],
  ['del ssl ca-file', 'del ssl ca-file <cafile>                : delete an unused CA file'],
  ['abort ssl crl-file', 'abort ssl crl-file <crlfile>            : abort a transaction for a CRL file'],
  ['show sess', 'show sess [id]                          : report the list of current sessions or dump this exact session'],
  ['show cli sockets', 'show cli sockets                        : dump list of cli sockets'],
  ['show info', 'show info [desc|json|typed|float]*      : report information about the running process'],
  ['show schema json', 'show schema json                        : report schema used for stats'],
  ['enable health', 'enable health                           : enable health checks'],
  ['get weight', 'get weight <bk>/<srv>                   : report a server\'s current weight'],
  ['shutdown session', 'shutdown session [id]                   : kill a specific session'],
  ['shutdown sessions server', 'shutdown sessions server <bk>/<srv>     : kill sessions on a server'],
  ['add server', 'add server <bk>/<srv>                   : create a new server'],
  ['clear table', 'clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)'],
  ['set timeout', 'set timeout [cli] <delay>               : change a timeout setting'],
  ['set ssl ocsp-response', 'set ssl ocsp-response <resp|payload>    : update a certificate\'s OCSP Response from a base64-encode DER'],
  ['del ssl cert', 'del ssl cert <certfile>                 : delete an unused certificate file'],
  ['abort ssl ca-file', 'abort ssl ca-file <cafile>              : abort a transaction for a CA file'],
  ['set ssl crl-file', 'set ssl crl-file <crlfile> <payload>    : replace a CRL file'],
  ['del ssl crl-file', 'del ssl crl-file <crlfile>              : delete an unused CRL file'],
  ['show stat', 'show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server'],
  ['disable agent', 'disable agent                           : disable agent checks'],
  ['disable health', 'disable health                          : disable health checks'],
  ['disable server', 'disable server (DEPRECATED)             : disable a server for maintenance (use \'set server\' instead)'],
  ['enable agent', 'enable agent                            : enable agent checks'],
  ['del server', 'del server <bk>/<srv>                   : remove a dynamically added server'],
  ['set maxconn global', 'set maxconn global <value>              : change the per-process maxconn setting'],
  ['disable frontend', 'disable frontend <frontend>             : temporarily disable specific frontend'],
  ['set severity-output', 'set severity-output [none|number|string]: set presence of severity level in feedback information'],
  ['operator', 'operator                                : lower the level of the current CLI session to operator'],
  ['show ssl ocsp-response', 'show ssl ocsp-response [id]             : display the IDs of the OCSP responses used in memory, or the details of a single OCSP response'],
  ['enable server', 'enable server  (DEPRECATED)             : enable a disabled server (use \'set server\' instead)'],
  ['set maxconn server', 'set maxconn server <bk>/<srv>           : change a server\'s maxconn setting'],
  ['set server', 'set server <bk>/<srv> [opts]            : change a server\'s state, weight, address or ssl'],
  ['set weight', 'set weight <bk>/<srv>  (DEPRECATED)     : change a server\'s weight (use \'set server\' instead)'],
  ['set table', 'set table <table> key <k> [data.* <v>]* : update or create a table entry\'s data'],
  ['show table', 'show table <table> [<filter>]*          : report table usage stats or dump this table\'s contents (filter: data/key)'],
  ['show cli level', 'show cli level                          : display the level of the current CLI session'],
  ['show ssl providers', 'show ssl providers                      : show loaded SSL providers'],
  ['show peers', 'show peers [dict|-] [section]           : dump some information about all the peers or this peers section'],
  ['set rate-limit', 'set rate-limit <setting> <value>        : change a rate limiting value'],
  ['show env', 'show env [var]                          : dump environment variables known to the process'],
  ['show fd', 'show fd [num]                           : dump list of file descriptors in use or a specific one'],
  ['show activity', 'show activity                           : show per-thread activity stats (for support/developers)'],
  ['enable frontend', 'enable frontend <frontend>              : re-enable specific frontend'],
  ['show servers state', 'show servers state [<backend>]          : dump volatile server information (all or for a single backend)'],
  ['show backend', 'show backend                            : list backends in the current running config'],
  ['show cache', 'show cache                              : show cache status'],
  ['show resolvers', 'show resolvers [id]                     : dumps counters from all resolvers section and associated name servers'],
  ['user', 'user                                    : lower the level of the current CLI session to user'],
  ['set maxconn frontend', 'set maxconn frontend <frontend> <value> : change a frontend\'s maxconn setting'],
  ['shutdown frontend', 'shutdown frontend <frontend>            : stop a specific frontend'],
  ['set dynamic-cookie-key backend', 'set dynamic-cookie-key backend <bk> <k> : change a backend secret key for dynamic cookies'],
  ['disable dynamic-cookie backend', 'disable dynamic-cookie backend <bk>     : disable dynamic cookies on a specific backend'],
  ['show servers conn', 'show servers conn [<backend>]           : dump server connections status (all or for a single backend)'],
  ['show profiling', 'show profiling [<what>|<#lines>|byaddr]*: show profiling state (all,status,tasks,memory)'],
  ['show version', 'show version                            : show version of the current process'],
  ['show errors', 'show errors [<px>] [request|response]   : report last request and/or response errors for each proxy'],
  ['show libs', 'show libs                               : show loaded object files and libraries'],
  ['clear acl', 'clear acl [@<ver>] <acl>                : clear the contents of this acl'],
  ['del acl', 'del acl <acl> [<key>|#<ref>]            : delete acl entries matching <key>'],
  ['clear map', 'clear map [@<ver>] <map>                : clear the contents of this map'],
  ['prepare map', 'prepare map <acl>                       : prepare a new version for atomic map replacement'],
  ['show pools', 'show pools                              : report information about the memory pools usage'],
  ['trace', 'trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to stop all)'],
  ['set profiling', 'set profiling <what> {auto|on|off}      : enable/disable resource profiling (tasks,memory)'],
  ['get var', 'get var <name>                          : retrieve contents of a process-wide variable'],
  ['show threads', 'show threads                            : show some threads debugging information'],
  ['add acl', 'add acl [@<ver>] <acl> <pattern>        : add an acl entry'],
  ['show events', 'show events [<sink>] [-w] [-n]          : show event sink state'],
  ['commit acl', 'commit acl @<ver> <acl>                 : commit the ACL at this version'],
  ['get acl', 'get acl <acl> <value>                   : report the patterns matching a sample for an ACL'],
  ['prepare acl', 'prepare acl <acl>                       : prepare a new version for atomic ACL replacement'],
  ['show acl', 'show acl [@<ver>] <acl>]                : report available acls or dump an acl\'s contents'],
  ['add map', 'add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)'],
  ['commit map', 'commit map @<ver> <map>                 : commit the map at this version'],
  ['del map', 'del map <map> [<key>|#<ref>]            : delete map entries matching <key>'],
  ['get map', 'get map <acl> <value>                   : report the keys and values matching a sample for a map'],
  ['set map', 'set map <map> [<key>|#<ref>] <value>    : modify a map entry'],
  ['show map', 'show map [@ver] [map]                   : report available maps or dump a map\'s contents'],
  ['show startup-logs', 'show startup-logs                       : report logs emitted during HAProxy startup'],
  ['show trace', 'show trace [<module>]                   : show live tracing state'],
  ['show tasks', 'show tasks                              : show running tasks'],
];

export const KEYWORDS: CliKeyword[] = TABLE.map(([w, u]) => ({ words: w.split(' '), usage: u || undefined }));

/** cli_find_kw(): the first command whose words all start the arguments */
export function findKeyword(args: string[]): CliKeyword | undefined {
  for (const kw of KEYWORDS) {
    let ok = true;
    for (let i = 0; i < kw.words.length; i++) {
      if (kw.words[i] !== (args[i] ?? '')) {
        ok = false;
        break;
      }
    }
    if (ok) return kw;
  }
  return undefined;
}

const FIXED =
  '  help [<command>]                        : list matching or all commands\n' +
  '  prompt                                  : toggle interactive mode with prompt\n' +
  '  quit                                    : disconnect\n';

/** HAProxy's update_word_fingerprint(): adds `word`'s transitions to a fingerprint; row 0 only marks characters seen */
function addFingerprint(fp: Uint8Array, word: string): void {
  const w = wordFingerprint(word);
  for (let i = 0; i < 32; i++) if (w[i]) fp[i] = 1;
  for (let i = 32; i < 1024; i++) fp[i] += w[i];
}

function distance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < 1024; i++) d += Math.abs(a[i] - b[i]);
  return d;
}

const MAX_MATCHES = 5;

/**
 * cli_gen_usage_msg(): the message for `help [words]` or for a command
 * that is not known: the commands sharing the longest exact prefix, or the
 * five closest ones by HAProxy's word fingerprints.
 */
export function usageMessage(argsIn: string[]): string {
  let args = argsIn;
  let isHelp = false;
  if (args.length && args[0] === 'help') {
    args = args.slice(1);
    isHelp = true;
  }
  let length = 0;
  for (const kw of KEYWORDS) {
    for (let i = 0; i < kw.words.length; i++) {
      if (!args[i]) break;
      if (kw.words[i] !== args[i]) break;
      if (i + 1 > length) length = i + 1;
    }
  }
  let out: string;
  if (isHelp) out = 'The following commands are valid at this level:\n';
  else if (!length && !args[0]) out = 'Unknown command. Please enter one of the following commands only:\n';
  else out = 'Unknown command, but maybe one of the following ones is a better match:\n';

  const prefixMatches = (kw: CliKeyword): boolean => {
    let i = 0;
    for (; i < length; i++) {
      if (!kw.words[i]) break;
      if (!args[i]) break;
      if (kw.words[i] !== args[i]) break;
    }
    return i === length;
  };

  const matches: { kw: CliKeyword; dist: number }[] = [];
  if (args[length]) {
    for (const kw of KEYWORDS) {
      if (!kw.usage || !prefixMatches(kw)) continue;
      const wsig = new Uint8Array(1024);
      const lsig = new Uint8Array(1024);
      let totlen = 0;
      for (let i = length; i < 5 && args[i]; i++) {
        addFingerprint(wsig, args[i]);
        totlen += args[i].length;
      }
      for (let i = length; i < 5 && kw.words[i]; i++) {
        addFingerprint(lsig, kw.words[i]);
        totlen += kw.words[i].length;
      }
      const dist = distance(wsig, lsig);
      const worst = matches.length < MAX_MATCHES ? Infinity : matches[MAX_MATCHES - 1].dist;
      if (dist < Math.floor((5 * totlen) / 2) && dist < worst) {
        // insert after the entries of the same distance (HAProxy's stable insertion)
        let at = matches.length;
        while (at > 0 && matches[at - 1].dist > dist) at--;
        matches.splice(at, 0, { kw, dist });
        if (matches.length > MAX_MATCHES) matches.length = MAX_MATCHES;
      }
    }
  }
  const entries: CliKeyword[] = [];
  if (matches.length) {
    for (const m of matches) {
      if (m.dist > Math.floor((5 * matches[0].dist) / 2)) break;
      entries.push(m.kw);
    }
  } else {
    for (const kw of KEYWORDS) if (kw.usage && prefixMatches(kw)) entries.push(kw);
  }
  entries.sort((a, b) => (a.usage! < b.usage! ? -1 : a.usage! > b.usage! ? 1 : 0));
  for (const e of entries) out += `  ${e.usage}\n`;
  return out + FIXED;
}
