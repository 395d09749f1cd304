/**
 * TLS toward a server (`server ... ssl`): one client SecureContext per
 * server (versions, ciphers, ca-file, crl-file, client certificate), then
 * per connection the TLS layer is put over the raw socket once it is
 * created, so a PROXY header still goes out in clear before the handshake.
 * As HAProxy does, the server name sent is the `sni` expression evaluated
 * on the stream, the certificate is checked against `verifyhost` or that
 * name, and the last session is reused unless `no-ssl-reuse`.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SampleContext } from '../../acl/context.js';
import { compileExpr, evalString, type CompiledExpr } from '../../acl/expr.js';
import { newEnv } from '../../acl/compile.js';
import type { Config, ServerConf } from '../../config/model.js';
import { loadCrt } from './pem.js';
import { globalArgs, nodeCiphers, tlsParams, withBase } from './settings.js';
import { markConnected, resettable } from './view.js';

export interface SampleOwner {
  sampleContext?(): SampleContext;
}

/** true when the server line asks for TLS on its traffic */
export function serverUsesSsl(o: Map<string, string[]>): boolean {
  return o.has('ssl') && !o.has('no-ssl');
}

/**
 * The TLS setup of a server, or null when its traffic is plain. `forCheck`:
 * the health check's connection (check-ssl, or ssl without port/addr).
 */
export function serverTls(conf: ServerConf, config: Config | undefined): ServerTls | null {
  return serverUsesSsl(conf.options) ? new ServerTls(conf, config) : null;
}

export function checkUsesSsl(o: Map<string, string[]>): boolean {
  if (o.has('no-check-ssl')) return false;
  if (o.has('check-ssl')) return true;
  return serverUsesSsl(o) && !o.has('port') && !o.has('addr');
}

export class ServerTls {
  private readonly ctx: tls.SecureContext;
  private readonly verify: boolean;
  private readonly verifyHost?: string;
  private readonly sni: CompiledExpr | null = null;
  /** the server name comes from an expression evaluated per stream (`sni`) */
  readonly perRequestSni: boolean;
  private readonly alpn?: string[];
  private readonly reuse: boolean;
  private session: Buffer | null = null;
  private sessionSni: string | undefined;

  constructor(conf: ServerConf, config: Config | undefined) {
    const o = conf.options;
    const p = tlsParams('server', o, config);
    const crtPath = o.get('crt')?.[0];
    const crt = crtPath !== undefined ? loadCrt(withBase(crtPath, globalArgs(config, 'crt-base')?.[0]))[0] : undefined;
    const dflt = globalArgs(config, 'ssl-server-verify')?.[0] ?? 'required';
    this.verify = (p.verify ?? dflt) === 'required';
    this.verifyHost = o.get('verifyhost')?.[0];
    this.ctx = tls.createSecureContext({
      ca: p.caFile !== undefined ? readFileSync(p.caFile, 'latin1') : undefined,
      crl: p.crlFile !== undefined ? readFileSync(p.crlFile, 'latin1') : undefined,
      cert: crt?.cert,
      key: crt?.key,
      ciphers: nodeCiphers(p),
      minVersion: p.minVersion,
      maxVersion: p.maxVersion,
      ecdhCurve: p.curves,
      secureOptions: p.secureOptions,
    });
    const sni = o.get('sni')?.[0];
    if (sni) this.sni = compileExpr(sni, newEnv({}));
    this.perRequestSni = !!sni;
    this.alpn = p.alpn;
    this.reuse = !o.has('no-ssl-reuse');
  }

  /** Puts TLS over `raw` (connecting or connected); 'secureConnect' tells the handshake is done. */
  wrap(raw: net.Socket, owner: SampleOwner): tls.TLSSocket {
    let name: string | undefined;
    if (this.sni) {
      const ctx = owner.sampleContext?.();
      const v = ctx ? evalString(this.sni, ctx) : undefined;
      if (v) name = v;
    }
    const session = this.reuse && this.session && this.sessionSni === name ? this.session : undefined;
    const verifyName = this.verifyHost ?? name;
    const ts = tls.connect({
      socket: raw,
      secureContext: this.ctx,
      // an IP address is not a valid server name (RFC 6066): Node would warn and send it
      servername: name && !net.isIP(name) ? name : undefined,
      ALPNProtocols: this.alpn,
      rejectUnauthorized: this.verify,
      checkServerIdentity: (_host, cert) => (verifyName !== undefined ? tls.checkServerIdentity(verifyName, cert) : undefined),
      session,
    });
    ts.on('error', noop); // a late TLS error (after the stream let go) must never reach the process
    markConnected(ts, name);
    resettable(ts, raw);
    if (this.reuse) {
      ts.once('session', (s: Buffer) => {
        this.session = s;
        this.sessionSni = name;
      });
    }
    return ts;
  }
}

function noop(): void {}
