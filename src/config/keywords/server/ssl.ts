/**
 * HAProxy 2.6's preparation of `ssl` servers at the end of the configuration
 * check (ssl_sock_prepare_srv_ctx): the client certificate (`crt`) is loaded,
 * and a server verified by default ("ssl-server-verify required", the
 * default) needs a CA file. When the certificate failed, the verify alert
 * that follows comes without its server prefix, as HAProxy prints it.
 */
import { ERR_ALERT, ERR_FATAL } from '../../../parser/diagnostics.js';
import { registerProxyCheck, Stage } from '../../postchecks.js';
import { isBackend } from '../proxy/section.js';
import { globalSetting, loadCertificate, withBase } from '../bind/files.js';

const VERIFY_ALERT =
  "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.";

registerProxyCheck(Stage.servers + 0.5, (p, config, diags) => {
  if (!isBackend(p) || p.kind === 'defaults') return 0;
  let err = 0;
  const verifyDefault = globalSetting(config, 'ssl-server-verify') ?? 'required';
  for (const s of p.servers) {
    const o = s.options;
    if (!o.has('ssl') || o.has('no-ssl')) continue;
    const prefix = `'server ${p.name}/${s.name}' : `;
    let crtFailed = false;
    const crt = o.get('crt')?.[0];
    if (crt !== undefined) {
      const e = loadCertificate(withBase(crt, globalSetting(config, 'crt-base')), config);
      if (e) {
        diags.alert(`${prefix}${e.replace(/\n+$/, '')}`, s.file, s.line, 'bracket');
        err |= ERR_ALERT | ERR_FATAL;
        crtFailed = true;
      }
    }
    const verify = o.get('verify')?.[0] ?? verifyDefault;
    if (verify === 'required' && !o.has('ca-file')) {
      if (crtFailed) diags.alert(VERIFY_ALERT, undefined, undefined, 'none');
      else diags.alert(`${prefix}${VERIFY_ALERT}`, s.file, s.line, 'bracket');
      err |= ERR_ALERT | ERR_FATAL;
    }
  }
  return err;
});
