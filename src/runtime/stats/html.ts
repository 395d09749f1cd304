/**
 * The HTML stats page, as HAProxy 2.6's stats_dump_html_* functions write
 * it: head and style, the "General process information" block, then one
 * table per proxy (frontend, listeners, servers, backend), the admin form
 * when `stats admin` allows it.
 */
import { hostname } from 'node:os';
import type { RtProxy } from '../model.js';
import type { DumpFilter, StatsContext } from './context.js';
import { FLAG_SHLGNDS, TYPE_BE, TYPE_FE, TYPE_SO, type StatRow } from './fields.js';
import { PAGE_STYLE } from './html-style.js';
import { GLOBAL } from './counters.js';
import { VERSION_LINE } from './version.js';

/** page options (HAProxy's STAT_* flags of the request and of `stats` keywords) */
export interface PageOpts {
  uriPrefix: string;
  refresh: number;
  admin: boolean;
  hideDown: boolean;
  noRefresh: boolean;
  hideVersion: boolean;
  showLegends: boolean;
  /** show-node: the name to print, '' for the global node name */
  showNode?: string;
  showDesc?: string;
  /** ;scope= text */
  scopeTxt: string;
  /** ;st=XXXX status code to report */
  stCode?: string;
  /** the proxy serving the page (for `stats scope .`) */
  self: RtProxy;
}

/** U2H() (ulltoh): the digit before each group of three is wrapped in <span class="rls"> to space the thousands */
export function u2h(n: number | string | undefined): string {
  const s = n === undefined ? '0' : String(n);
  if (!/^\d+$/.test(s) || s.length <= 3) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const fromRight = s.length - 1 - i;
    out += fromRight && fromRight % 3 === 0 ? `<span class="rls">${s[i]}</span>` : s[i];
  }
  return out;
}

/** LIM2A(): a limit, or `dflt` when 0 */
function lim2a(n: number | string | undefined, dflt: string): string {
  return !n ? dflt : String(n);
}

/** human_time(): "1d2h", "3h12m", "12m5s", "0s"; "?" for negative */
export function humanTime(t: number): string {
  if (t < 0 || t === undefined || Number.isNaN(t)) return '?';
  let p = '';
  let cnt = 2;
  const DAY = 86400;
  const HOUR = 3600;
  const MINUTE = 60;
  if (t >= DAY) {
    p += `${Math.floor(t / DAY)}d`;
    cnt--;
  }
  if (cnt && Math.floor((t % DAY) / HOUR)) {
    p += `${Math.floor((t % DAY) / HOUR)}h`;
    cnt--;
  }
  if (cnt && Math.floor((t % HOUR) / MINUTE)) {
    p += `${Math.floor((t % HOUR) / MINUTE)}m`;
    cnt--;
  }
  if ((cnt && t % MINUTE) || !t) p += `${t % MINUTE}s`;
  return p;
}

function htmlEncode(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(v: string | number | undefined): number {
  return typeof v === 'number' ? v : Number(v ?? 0) || 0;
}

function pct(a: number, b: number): number {
  return b ? Math.floor((100 * a) / b) : 0;
}

export function pageHead(ctx: StatsContext, o: PageOpts): string {
  const node = o.showNode !== undefined ? ` on ${o.showNode || nodeName(ctx)}` : '';
  return (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"\n' +
    '"http://www.w3.org/TR/html4/loose.dtd">\n' +
    `<html><head><title>Statistics Report for HAProxy${node}</title>\n` +
    '<link rel="icon" href="data:,">\n' +
    '<meta http-equiv="content-type" content="text/html; charset=iso-8859-1">\n' +
    PAGE_STYLE
  );
}

function nodeName(ctx: StatsContext): string {
  return ctx.config.global.directives.filter((d) => d.keyword === 'node').pop()?.args[0] ?? hostname();
}

function globalDesc(ctx: StatsContext): string {
  return ctx.config.global.directives.filter((d) => d.keyword === 'description').pop()?.args.join(' ') ?? '';
}

function scopeSuffix(o: PageOpts): string {
  return o.scopeTxt ? `?scope=${o.scopeTxt}` : '';
}

export function pageInfo(ctx: StatsContext, o: PageOpts): string {
  const up = Math.floor((Date.now() - GLOBAL.startMs) / 1000);
  const pid = process.pid;
  const node = o.showNode !== undefined ? ` on ${o.showNode || nodeName(ctx)}` : '';
  const desc = o.showDesc !== undefined ? `: ${o.showDesc || globalDesc(ctx)}` : '';
  const bps = (GLOBAL.bytesRate.read(Date.now()) * 8 * 1538) / 1448;
  const rate = bps >= 1e9 ? `${(bps / 1e9).toFixed(3)} Gbps` : bps >= 1e6 ? `${(bps / 1e6).toFixed(3)} Mbps` : `${(bps / 1000).toFixed(3)} kbps`;
  const cur = ctx.host.currentConnections() + 1;
  const scope = scopeSuffix(o);
  const upPart = o.hideDown ? ';up' : '';
  const nrPart = o.noRefresh ? ';norefresh' : '';
  const version = o.hideVersion ? '' : ` version ${VERSION_LINE.version}, released ${VERSION_LINE.date}`;
  let out =
    `<body><h1><a href="http://www.haproxy.org/" style="text-decoration: none;">HAProxy${version}</a></h1>\n` +
    `<h2>Statistics Report for pid ${pid}${node}${desc}</h2>\n` +
    '<hr width="100%" class="hr">\n' +
    '<h3>&gt; General process information</h3>\n' +
    '<table border=0><tr><td align="left" nowrap width="1%">\n' +
    `<p><b>pid = </b> ${pid} (process #1, nbproc = 1, nbthread = ${ctx.nbthread})<br>\n` +
    `<b>uptime = </b> ${Math.floor(up / 86400)}d ${Math.floor((up % 86400) / 3600)}h${String(Math.floor((up % 3600) / 60)).padStart(2, '0')}m${String(up % 60).padStart(2, '0')}s<br>\n` +
    `<b>system limits:</b> memmax = unlimited; ulimit-n = ${ctx.maxsock}<br>\n` +
    `<b>maxsock = </b> ${ctx.maxsock}; <b>maxconn = </b> ${ctx.maxconn}; <b>maxpipes = </b> 0<br>\n` +
    `current conns = ${cur}; current pipes = 0/0; conn rate = ${GLOBAL.connRate.read(Date.now())}/sec; bit rate = ${rate}<br>\n` +
    `Running tasks: 0/${cur + 16}; idle = 100 %<br>\n` +
    '</td><td align="center" nowrap>\n' +
    '<table class="lgd"><tr>\n' +
    '<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>\n' +
    '<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>\n' +
    '<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>\n' +
    '<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>\n' +
    '<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n' +
    '<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n' +
    'Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.</td><td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;">' +
    `<li><form method="GET">Scope : <input value="${o.scopeTxt}" name="scope" size="8" maxlength="20" tabindex="1"/></form>\n`;
  if (o.hideDown) out += `<li><a href="${o.uriPrefix}${nrPart}${scope}">Show all servers</a><br>\n`;
  else out += `<li><a href="${o.uriPrefix};up${nrPart}${scope}">Hide 'DOWN' servers</a><br>\n`;
  if (o.refresh > 0) {
    if (o.noRefresh) out += `<li><a href="${o.uriPrefix}${upPart}${scope}">Enable refresh</a><br>\n`;
    else out += `<li><a href="${o.uriPrefix}${upPart};norefresh${scope}">Disable refresh</a><br>\n`;
  }
  out += `<li><a href="${o.uriPrefix}${upPart}${nrPart}${scope}">Refresh now</a><br>\n`;
  out += `<li><a href="${o.uriPrefix};csv${o.refresh > 0 ? ';norefresh' : ''}${scope}">CSV export</a><br>\n`;
  out += `<li><a href="${o.uriPrefix};json${o.refresh > 0 ? ';norefresh' : ''}${scope}">JSON export</a> (<a href="${o.uriPrefix};json-schema">schema</a>)<br>\n`;
  out +=
    '</ul></td><td align="left" valign="top" nowrap width="1%"><b>External resources:</b><ul style="margin-top: 0.25em;">\n' +
    '<li><a href="http://www.haproxy.org/">Primary site</a><br>\n' +
    `<li><a href="http://www.haproxy.org/#down">Updates (v${VERSION_LINE.branch})</a><br>\n` +
    '<li><a href="http://www.haproxy.org/#docs">Online manual</a><br>\n' +
    '</ul></td></tr></table>\n';
  if (o.stCode) {
    const x = `<a class=lfsb href="${o.uriPrefix}${upPart}${nrPart}${scope}" title="Remove this message">[X]</a> `;
    const msgs: Record<string, [string, string]> = {
      DONE: ['active_up', 'Action processed successfully.'],
      NONE: ['active_going_down', 'Nothing has changed.'],
      PART: ['active_going_down', 'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).'],
      ERRP: [
        'active_down',
        'Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>',
      ],
      EXCD: ['active_down', "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>"],
      DENY: ['active_down', '<b>Action denied.</b>'],
      IVAL: ['active_down', '<b>Invalid requests (unsupported method or chunked encoded request).</b>'],
    };
    const m = msgs[o.stCode] ?? ['active_no_check', 'Unexpected result.'];
    out += `<p><div class=${m[0]}>${x}${m[1]}</div>\n<p>\n`;
  }
  return out;
}

function pxHeader(ctx: StatsContext, px: RtProxy, o: PageOpts): string {
  let out = '';
  const adminForm = o.admin && px.isBackend && px.servers.length > 0;
  if (adminForm) out += '<form method="post">';
  out += '<table class="tbl" width="100%">\n<tr class="titre"><th class="pxname" width="10%">';
  out += `<a name="${px.name}"></a>${o.showLegends ? '<u>' : ''}<a class=px href="#${px.name}">${px.name}</a>`;
  if (o.showLegends) {
    const cap = px.isFrontend && px.isBackend ? 'proxy' : px.isFrontend ? 'frontend' : 'backend';
    out += `<div class=tips>cap: ${cap}, mode: ${px.mode}, id: ${ctx.uuid(px)}</div>`;
  }
  const desc = px.directive('description')?.join(' ');
  out += `${o.showLegends ? '</u>' : ''}</th><th class="${desc ? 'desc' : 'empty'}" width="90%">${desc ?? ''}</th></tr>\n</table>\n<table class="tbl" width="100%">\n<tr class="titre">`;
  if (o.admin) {
    if (adminForm)
      out += `<th rowspan=2 width=1><input type="checkbox" onclick="for(c in document.getElementsByClassName('${px.name}-checkbox')) document.getElementsByClassName('${px.name}-checkbox').item(c).checked = this.checked"></th>`;
    else out += '<th rowspan=2></th>';
  }
  out +=
    '<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n' +
    '<tr class="titre"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n</tr>';
  return out;
}

function pxEnd(ctx: StatsContext, px: RtProxy, o: PageOpts): string {
  let out = '</table>';
  if (o.admin && px.isBackend && px.servers.length > 0) {
    out +=
      'Choose the action to perform on the checked servers : <select name=action><option value=""></option>' +
      '<option value="ready">Set state to READY</option><option value="drain">Set state to DRAIN</option><option value="maint">Set state to MAINT</option>' +
      '<option value="dhlth">Health: disable checks</option><option value="ehlth">Health: enable checks</option><option value="hrunn">Health: force UP</option>' +
      '<option value="hnolb">Health: force NOLB</option><option value="hdown">Health: force DOWN</option><option value="dagent">Agent: disable checks</option>' +
      '<option value="eagent">Agent: enable checks</option><option value="arunn">Agent: force UP</option><option value="adown">Agent: force DOWN</option>' +
      `<option value="shutdown">Kill Sessions</option></select><input type="hidden" name="b" value="#${ctx.uuid(px)}">&nbsp;<input type="submit" value="Apply"></form>`;
  }
  return out + '<p>\n';
}

function frontendHtml(v: StatRow['vals'], o: PageOpts): string {
  const http = v[75] === 'http';
  const name = String(v[0]);
  let out = '<tr class="frontend">';
  if (o.admin) out += '<td></td>';
  out += `<td class=ac><a name="${name}/Frontend"></a><a class=lfsb href="#${name}/Frontend">Frontend</a></td><td colspan=3></td>`;
  out += `<td><u>${u2h(v[33])}<div class=tips><table class=det><tr><th>Current connection rate:</th><td>${u2h(v[77])}/s</td></tr><tr><th>Current session rate:</th><td>${u2h(v[33])}/s</td></tr>`;
  if (http) out += `<tr><th>Current request rate:</th><td>${u2h(v[46])}/s</td></tr>`;
  out += `</table></div></u></td><td><u>${u2h(v[35])}<div class=tips><table class=det><tr><th>Max connection rate:</th><td>${u2h(v[78])}/s</td></tr><tr><th>Max session rate:</th><td>${u2h(v[35])}/s</td></tr>`;
  if (http) out += `<tr><th>Max request rate:</th><td>${u2h(v[47])}/s</td></tr>`;
  out += `</table></div></u></td><td>${lim2a(v[34], '-')}</td>`;
  out += `<td>${u2h(v[4])}</td><td>${u2h(v[5])}</td><td>${u2h(v[6])}</td><td><u>${u2h(v[7])}<div class=tips><table class=det><tr><th>Cum. connections:</th><td>${u2h(v[79])}</td></tr><tr><th>Cum. sessions:</th><td>${u2h(v[7])}</td></tr>`;
  if (http) {
    out +=
      `<tr><th>Cum. HTTP requests:</th><td>${u2h(v[48])}</td></tr><tr><th>- HTTP 1xx responses:</th><td>${u2h(v[39])}</td></tr><tr><th>- HTTP 2xx responses:</th><td>${u2h(v[40])}</td></tr>` +
      `<tr><th>&nbsp;&nbsp;Compressed 2xx:</th><td>${u2h(v[54])}</td><td>(${pct(num(v[54]), num(v[40]))}%)</td></tr><tr><th>- HTTP 3xx responses:</th><td>${u2h(v[41])}</td></tr>` +
      `<tr><th>- HTTP 4xx responses:</th><td>${u2h(v[42])}</td></tr><tr><th>- HTTP 5xx responses:</th><td>${u2h(v[43])}</td></tr><tr><th>- other responses:</th><td>${u2h(v[44])}</td></tr>` +
      `<tr><th>Intercepted requests:</th><td>${u2h(v[80])}</td></tr><tr><th>Cache lookups:</th><td>${u2h(v[86])}</td></tr><tr><th>Cache hits:</th><td>${u2h(v[87])}</td><td>(${pct(num(v[87]), num(v[86]))}%)</td></tr>` +
      `<tr><th>Failed hdr rewrites:</th><td>${u2h(v[83])}</td></tr><tr><th>Internal errors:</th><td>${u2h(v[94])}</td></tr>`;
  }
  out += `</table></div></u></td><td></td><td></td><td>${u2h(v[8])}</td>`;
  out += bytesOut(v);
  out += `<td>${u2h(v[10])}</td><td>${u2h(v[11])}</td><td>${u2h(v[12])}</td><td></td><td></td><td></td><td></td><td class=ac>${v[17]}</td><td class=ac colspan=8></td></tr>`;
  return out;
}

function bytesOut(v: StatRow['vals']): string {
  const cin = num(v[51]);
  const cout = num(v[52]);
  const byp = num(v[53]);
  const u = cin || byp;
  return (
    `<td>${u ? '<u>' : ''}${u2h(v[9])}<div class=tips><table class=det><tr><th>Response bytes in:</th><td>${u2h(v[9])}</td></tr><tr><th>Compression in:</th><td>${u2h(cin)}</td></tr>` +
    `<tr><th>Compression out:</th><td>${u2h(cout)}</td><td>(${cin ? Math.floor((cout * 100) / cin) : 0}%)</td></tr><tr><th>Compression bypass:</th><td>${u2h(byp)}</td></tr>` +
    `<tr><th>Total bytes saved:</th><td>${u2h(cin - cout)}</td><td>(${num(v[9]) ? Math.floor(((cin - cout) * 100) / num(v[9])) : 0}%)</td></tr></table></div>${u ? '</u>' : ''}</td>`
  );
}

function listenerHtml(v: StatRow['vals'], o: PageOpts): string {
  const name = String(v[0]);
  const sv = String(v[1]);
  let out = '<tr class=socket>';
  if (o.admin) out += '<td></td>';
  out += `<td class=ac><a name="${name}/+${sv}"></a>${o.showLegends ? '<u>' : ''}<a class=lfsb href="#${name}/+${sv}">${sv}</a>`;
  if (o.showLegends) {
    out += '<div class=tips>';
    const addr = String(v[73] ?? '');
    if (/^\d/.test(addr)) out += `IPv4: ${addr}, `;
    else if (addr.startsWith('[')) out += `IPv6: ${addr}, `;
    else if (addr) out += `${addr}, `;
    out += `id: ${v[28]}</div>`;
  }
  out +=
    `${o.showLegends ? '</u>' : ''}</td><td colspan=3></td><td colspan=3>&nbsp;</td><td>${u2h(v[4])}</td><td>${u2h(v[5])}</td><td>${u2h(v[6])}</td>` +
    `<td>${u2h(v[7])}</td><td>&nbsp;</td><td>&nbsp;</td><td>${u2h(v[8])}</td><td>${u2h(v[9])}</td>` +
    `<td>${u2h(v[10])}</td><td>${u2h(v[11])}</td><td>${u2h(v[12])}</td><td></td><td></td><td></td><td></td><td class=ac>${v[17]}</td><td class=ac colspan=8></td></tr>`;
  return out;
}

function serverHtml(v: StatRow['vals'], o: PageOpts): string {
  const status = String(v[17]);
  const name = String(v[0]);
  const sv = String(v[1]);
  const http = v[75] === 'http';
  const hasCheck = v[21] !== undefined;
  const rise = num(v[67]);
  const fall = num(v[68]);
  const health = num(v[69]);
  let style: string;
  if (status === 'DOWN' || status === 'DOWN (agent)') style = 'down';
  else if (status.startsWith('DOWN ')) style = 'going_up';
  else if (status === 'DRAIN') style = 'draining';
  else if (status.startsWith('NOLB ')) style = 'going_down';
  else if (status === 'NOLB') style = 'nolb';
  else if (status === 'no check') style = 'no_check';
  else if (!hasCheck || health === rise + fall - 1) style = num(v[18]) ? 'up' : 'draining';
  else style = 'going_down';
  let out = status.startsWith('MAINT') ? '<tr class="maintain">' : `<tr class="${num(v[20]) ? 'backup' : 'active'}_${style}">`;
  if (o.admin) out += `<td><input class='${name}-checkbox' type="checkbox" name="s" value="${sv}"></td>`;
  out += `<td class=ac><a name="${name}/${sv}"></a>${o.showLegends ? '<u>' : ''}<a class=lfsb href="#${name}/${sv}">${sv}</a>`;
  if (o.showLegends) {
    out += '<div class=tips>';
    const addr = String(v[73] ?? '');
    if (/^\d/.test(addr)) out += `IPv4: ${addr}, `;
    else if (addr.startsWith('[')) out += `IPv6: ${addr}, `;
    else if (addr) out += `${addr}, `;
    out += `id: ${v[28]}`;
    if (v[74] !== undefined) out += `, cookie: '${htmlEncode(String(v[74]))}'`;
    out += '</div>';
  }
  out += `${o.showLegends ? '</u>' : ''}</td><td>${u2h(v[2])}</td><td>${u2h(v[3])}</td><td>${lim2a(v[25], '-')}</td><td>${u2h(v[33])}</td><td>${u2h(v[35])}</td><td></td>`;
  out +=
    `<td><u>${u2h(v[4])}<div class=tips><table class=det><tr><th>Current active connections:</th><td>${u2h(v[4])}</td></tr>` +
    `<tr><th>Current used connections:</th><td>${u2h(v[97])}</td></tr><tr><th>Current idle connections:</th><td>${u2h(v[88])}</td></tr>` +
    `<tr><th>- unsafe:</th><td>${u2h(v[95])}</td></tr><tr><th>- safe:</th><td>${u2h(v[96])}</td></tr><tr><th>Estimated need of connections:</th><td>${u2h(v[98])}</td></tr>` +
    `<tr><th>Active connections limit:</th><td>${lim2a(v[6], '-')}</td></tr><tr><th>Idle connections limit:</th><td>${v[89] !== undefined ? u2h(v[89]) : '-'}</td></tr></table></div></u>` +
    `</td><td>${u2h(v[5])}</td><td>${lim2a(v[6], '-')}</td><td><u>${u2h(v[7])}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>${u2h(v[7])}</td></tr>`;
  if (http) {
    const req = num(v[48]);
    out +=
      `<tr><th>New connections:</th><td>${u2h(v[84])}</td></tr><tr><th>Reused connections:</th><td>${u2h(v[85])}</td><td>(${pct(num(v[85]), num(v[84]) + num(v[85]))}%)</td></tr>` +
      `<tr><th>Cum. HTTP requests:</th><td>${u2h(v[48])}</td></tr>`;
    const labels = ['1xx', '2xx', '3xx', '4xx', '5xx'];
    for (let k = 0; k < 5; k++) out += `<tr><th>- HTTP ${labels[k]} responses:</th><td>${u2h(v[39 + k])}</td><td>(${pct(num(v[39 + k]), req)}%)</td></tr>`;
    out += `<tr><th>- other responses:</th><td>${u2h(v[44])}</td><td>(${pct(num(v[44]), req)}%)</td></tr><tr><th>Failed hdr rewrites:</th><td>${u2h(v[83])}</td></tr><tr><th>Internal error:</th><td>${u2h(v[94])}</td></tr>`;
  }
  out += timesHtml(v, http);
  out += `</table></div></u></td><td>${u2h(v[30])}</td><td>${humanTime(num(v[55]))}</td>`;
  out +=
    `<td>${u2h(v[8])}</td><td>${u2h(v[9])}</td><td></td><td>${u2h(v[11])}</td><td></td><td>${u2h(v[13])}</td>` +
    `<td><u>${u2h(v[14])}<div class=tips>Connection resets during transfers: ${num(v[49])} client, ${num(v[50])} server</div></u></td><td>${num(v[15])}</td><td>${num(v[16])}</td>`;
  out += '<td class=ac>';
  if (status.startsWith('MAINT')) out += `${humanTime(num(v[23]))} MAINT`;
  else if (status === 'no check') out += '<i>no check</i>';
  else {
    out += `${humanTime(num(v[23]))} ${status}`;
    if (status.startsWith('DOWN')) {
      if (health) out += ' &uarr;';
    } else if (health < ((rise + fall - 1) >>> 0)) out += ' &darr;'; // unsigned, as HAProxy compares
  }
  if (v[36] !== undefined) {
    out += `</td><td class=ac><u> ${v[36]}`;
    if (v[37] !== undefined) out += `/${v[37]}`;
    if (v[38] !== undefined) out += ` in ${v[38]}ms`;
    out += `<div class=tips>${v[65] ?? ''}`;
    if (v[56]) out += `: ${htmlEncode(String(v[56]))}`;
    out += '</div></u>';
  } else out += '</td><td>';
  out += `</td><td class=ac>${num(v[18])}/${num(v[99])}</td><td class=ac>${num(v[20]) ? '-' : 'Y'}</td><td class=ac>${num(v[20]) ? 'Y' : '-'}</td>`;
  if (hasCheck) {
    out += `<td><u>${num(v[21])}<div class=tips>Failed Health Checks</div></u></td><td>${num(v[22])}</td><td>${humanTime(num(v[24]))}</td>`;
  } else if (status !== 'MAINT' && v[31] !== undefined) {
    out += `<td class=ac colspan=3><a class=lfsb href="#${v[31]}">via ${v[31]}</a></td>`;
  } else out += '<td colspan=3></td>';
  out += v[29] !== undefined ? `<td class=ac>${v[29]} %</td>\n` : '<td class=ac>-</td>';
  return out + '</tr>\n';
}

function timesHtml(v: StatRow['vals'], http: boolean): string {
  let out = '<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>';
  out += `<tr><th>- Queue time:</th><td>${u2h(v[90])} / ${u2h(v[58])}</td><td>ms</td></tr>`;
  out += `<tr><th>- Connect time:</th><td>${u2h(v[91])} / ${u2h(v[59])}</td><td>ms</td></tr>`;
  if (http) out += `<tr><th>- Responses time:</th><td>${u2h(v[92])} / ${u2h(v[60])}</td><td>ms</td></tr>`;
  out += `<tr><th>- Total time:</th><td>${u2h(v[93])} / ${u2h(v[61])}</td><td>ms</td></tr>`;
  return out;
}

function backendHtml(v: StatRow['vals'], o: PageOpts): string {
  const http = v[75] === 'http';
  const name = String(v[0]);
  let out = '<tr class="backend">';
  if (o.admin) out += '<td></td>';
  out += `<td class=ac>${o.showLegends ? '<u>' : ''}<a name="${name}/Backend"></a><a class=lfsb href="#${name}/Backend">Backend</a>`;
  if (o.showLegends) {
    out += `<div class=tips>balancing: ${v[76] ?? ''}`;
    if (v[74] !== undefined) out += `, cookie: '${htmlEncode(String(v[74]))}'`;
    out += '</div>';
  }
  out += `${o.showLegends ? '</u>' : ''}</td><td>${u2h(v[2])}</td><td>${u2h(v[3])}</td><td></td><td>${u2h(v[33])}</td><td>${u2h(v[35])}</td><td></td>`;
  out += `<td>${u2h(v[4])}</td><td>${u2h(v[5])}</td><td>${u2h(v[6])}</td><td><u>${u2h(v[7])}<div class=tips><table class=det><tr><th>Cum. sessions:</th><td>${u2h(v[7])}</td></tr>`;
  if (http) {
    out +=
      `<tr><th>New connections:</th><td>${u2h(v[84])}</td></tr><tr><th>Reused connections:</th><td>${u2h(v[85])}</td><td>(${pct(num(v[85]), num(v[84]) + num(v[85]))}%)</td></tr>` +
      `<tr><th>Cum. HTTP requests:</th><td>${u2h(v[48])}</td></tr><tr><th>- HTTP 1xx responses:</th><td>${u2h(v[39])}</td></tr><tr><th>- HTTP 2xx responses:</th><td>${u2h(v[40])}</td></tr>` +
      `<tr><th>&nbsp;&nbsp;Compressed 2xx:</th><td>${u2h(v[54])}</td><td>(${pct(num(v[54]), num(v[40]))}%)</td></tr><tr><th>- HTTP 3xx responses:</th><td>${u2h(v[41])}</td></tr>` +
      `<tr><th>- HTTP 4xx responses:</th><td>${u2h(v[42])}</td></tr><tr><th>- HTTP 5xx responses:</th><td>${u2h(v[43])}</td></tr><tr><th>- other responses:</th><td>${u2h(v[44])}</td></tr>` +
      `<tr><th>Cache lookups:</th><td>${u2h(v[86])}</td></tr><tr><th>Cache hits:</th><td>${u2h(v[87])}</td><td>(${pct(num(v[87]), num(v[86]))}%)</td></tr>` +
      `<tr><th>Failed hdr rewrites:</th><td>${u2h(v[83])}</td></tr><tr><th>Internal errors:</th><td>${u2h(v[94])}</td></tr>`;
  }
  out += timesHtml(v, http);
  out += `</table></div></u></td><td>${u2h(v[30])}</td><td>${humanTime(num(v[55]))}</td><td>${u2h(v[8])}</td>`;
  out += bytesOut(v);
  const status = String(v[17]);
  out +=
    `<td>${u2h(v[10])}</td><td>${u2h(v[11])}</td><td></td><td>${u2h(v[13])}</td>` +
    `<td><u>${u2h(v[14])}<div class=tips>Connection resets during transfers: ${num(v[49])} client, ${num(v[50])} server</div></u></td><td>${num(v[15])}</td><td>${num(v[16])}</td>` +
    `<td class=ac>${humanTime(num(v[23]))} ${status === 'DOWN' ? '<font color="red"><b>DOWN</b></font>' : status}</td><td class=ac>&nbsp;</td><td class=ac>${num(v[18])}/${num(v[99])}</td>` +
    `<td class=ac>${num(v[19])}</td><td class=ac>${num(v[20])}</td>` +
    `<td class=ac>&nbsp;</td><td>${num(v[22])}</td><td>${v[24] !== undefined ? humanTime(num(v[24])) : '&nbsp;'}</td><td></td></tr>`;
  return out;
}

/** the body of the page, as pieces (HAProxy sends it in buffer-sized chunks) */
export function renderPage(ctx: StatsContext, o: PageOpts, filter: DumpFilter): string[] {
  const pieces: string[] = [pageHead(ctx, o), pageInfo(ctx, o)];
  let cur = '';
  ctx.rows({ ...filter, flags: o.showLegends ? FLAG_SHLGNDS : 0 }, (px, r, phase) => {
    if (phase === 'begin') cur = pxHeader(ctx, px, o);
    else if (phase === 'end') {
      pieces.push(cur + pxEnd(ctx, px, o));
      cur = '';
    } else if (r) {
      if (r.type === TYPE_FE) cur += frontendHtml(r.vals, o);
      else if (r.type === TYPE_SO) cur += listenerHtml(r.vals, o);
      else if (r.type === TYPE_BE) cur += backendHtml(r.vals, o);
      else cur += serverHtml(r.vals, o);
    }
  });
  pieces.push('</body></html>\n');
  return pieces;
}
