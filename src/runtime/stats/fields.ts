/**
 * The rows of `show stat` and of the stats page, field by field, as HAProxy
 * 2.6 fills them (stats_fill_fe_stats, _li_, _sv_, _be_ and the ssl/h2/h1
 * modules): which fields a row type leaves empty, their values, and the
 * tags and types `show stat typed` prints. CSV and typed writers are here
 * too; the HTML page reads the same rows.
 */
import type { RtProxy, RtServer } from '../model.js';
import { ADMF_CMAINT, ADMF_FDRAIN, ADMF_FMAINT, ADMF_MAINT, type ChecksHandle } from '../checks/index.js';
import { STATUS_DESC, statusHasCode } from '../checks/run.js';
import { poolStats } from '../http/pool.js';
import { TIME_STATS_SAMPLES, beCounters, downtime, feCounters, liCounters, nowSec, srvCounters, swrateAvg } from './counters.js';

/** the static fields (ST_F_*), in CSV order */
export const FIELD_NAMES =
  'pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status'.split(
    ',',
  );

/** the fields of the extra modules (ssl, h2, h1), after the "-" column */
export const MODULE_NAMES =
  'ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out'.split(
    ',',
  );

export const N_STATIC = FIELD_NAMES.length; // 103
export const N_FIELDS = N_STATIC + MODULE_NAMES.length;

/** the CSV header line, as `show stat` and `;csv` print it */
export const CSV_HEADER = `# ${FIELD_NAMES.join(',')},-,${MODULE_NAMES.join(',')},\n`;

export const TYPE_FE = 0;
export const TYPE_BE = 1;
export const TYPE_SV = 2;
export const TYPE_SO = 3;

/**
 * Field tags (origin, nature, scope) and value type for `show stat typed`:
 * the default of each field, then what differs for a row type.
 */
const TAGS: string[] = [];
const TAG_OVERRIDES: Record<number, Record<number, string>> = {
  19: { [TYPE_BE]: 'MGP:u32', [TYPE_SV]: 'SGP:u32' },
  20: { [TYPE_BE]: 'MGP:u32', [TYPE_SV]: 'SGP:u32' },
  33: { [TYPE_BE]: 'MGP:u32' },
  35: { [TYPE_BE]: 'MGP:u32' },
};
(() => {
  const t = (i: number, v: string) => (TAGS[i] = v);
  for (let i = 0; i < N_FIELDS; i++) t(i, 'MCP:u64');
  t(0, 'KNS:str');
  t(1, 'KNS:str');
  for (const i of [2, 4, 88, 95, 96, 97, 98, 100, 101, 102]) t(i, 'MGP:u32');
  for (const i of [3, 5, 35, 47, 78, 90, 91, 92, 93]) t(i, 'MMP:u32');
  for (const i of [6, 34, 89]) t(i, 'CLP:u32');
  t(17, 'SGP:str');
  for (const i of [18, 29, 58, 59, 60, 61, 99]) t(i, 'MaP:u32');
  t(19, 'SGP:u32');
  t(20, 'SGP:u32');
  t(23, 'MAP:u32');
  t(24, 'MCP:u32');
  for (const i of [25, 32, 67, 68, 69, 70, 71, 72]) t(i, 'CGS:u32');
  t(26, 'KGP:u32');
  t(27, 'KGS:u32');
  t(28, 'KGS:u32');
  t(31, 'CNS:str');
  for (const i of [33, 46, 77]) t(i, 'MRP:u32');
  for (const i of [36, 56, 57, 62, 65, 66]) t(i, 'MOP:str');
  t(37, 'MOP:u32');
  t(63, 'MOP:u32');
  t(38, 'MDP:u64');
  t(64, 'MDP:u64');
  t(55, 'MAP:s32');
  for (const i of [73, 75, 76]) t(i, 'CGS:str');
  t(74, 'CNS:str');
  for (const i of [115, 116, 119, 120]) t(i, 'MGP:u64');
})();

export function fieldTags(field: number, type: number): string {
  return TAG_OVERRIDES[field]?.[type] ?? TAGS[field];
}

/** One row: its values (undefined = empty field) and what it is. */
export interface StatRow {
  type: number;
  iid: number;
  sid: number;
  vals: (string | number | undefined)[];
}

/** what the writers need besides the counters */
export interface StatsEnv {
  readonly checks: ChecksHandle | null;
  /** HAProxy's proxy uuid */
  uuid(px: RtProxy): number;
  /** frontend state as `show stat` reports it */
  feStatus(px: RtProxy): string;
  /** the listeners of a frontend with `option socket-stats` */
  listeners(px: RtProxy): ListenerInfo[];
  /** HAProxy's default fullconn of a backend */
  fullconn(px: RtProxy): number;
  /** a frontend's maxconn as HAProxy reports it */
  feMaxconn(px: RtProxy): number;
  /** HTTP transactions in progress on a frontend */
  openStreams(px: RtProxy): number;
}

export interface ListenerInfo {
  ref: object;
  name: string;
  luid: number;
  maxconn: number;
  /** connections served now */
  cur: number;
  addr: string;
  paused: boolean;
}

export const FLAG_SHLGNDS = 1;

function newRow(type: number, iid: number, sid: number): StatRow {
  return { type, iid, sid, vals: new Array(N_FIELDS) };
}

function modeOf(px: RtProxy): string {
  return px.mode;
}

function sec(ms: number): number {
  return Math.floor(ms / 1000);
}

export function frontendRow(px: RtProxy, env: StatsEnv): StatRow {
  const c = feCounters(px);
  const now = Date.now();
  const iid = env.uuid(px);
  const r = newRow(TYPE_FE, iid, 0);
  const v = r.vals;
  const http = px.mode === 'http';
  v[0] = px.name;
  v[1] = 'FRONTEND';
  v[4] = px.feconn;
  v[5] = Math.max(c.connMax, px.feconn);
  v[6] = env.feMaxconn(px);
  v[7] = c.cumSess;
  v[8] = c.bytesIn;
  v[9] = c.bytesOut;
  v[10] = c.deniedReq;
  v[11] = c.deniedResp;
  v[12] = c.failedReq;
  v[17] = env.feStatus(px);
  v[26] = 1;
  v[27] = iid;
  v[28] = 0;
  v[32] = TYPE_FE;
  v[33] = c.sessRate.read(now);
  v[34] = 0;
  v[35] = c.spsMax;
  if (http) {
    for (let k = 1; k <= 5; k++) v[38 + k] = c.rsp[k];
    v[44] = c.rsp[0];
    v[80] = c.intercepted;
    v[86] = 0;
    v[87] = 0;
  }
  v[46] = c.reqRate.read(now);
  v[47] = c.rpsMax;
  v[48] = c.cumReq;
  v[51] = v[52] = v[53] = v[54] = 0;
  v[75] = modeOf(px);
  v[77] = c.connRate.read(now);
  v[78] = c.cpsMax;
  v[79] = c.cumConn;
  v[81] = c.deniedConn;
  v[82] = c.deniedSess;
  v[83] = c.failedRewrites;
  v[94] = c.internalErrors;
  for (let i = N_STATIC; i < N_FIELDS; i++) v[i] = 0;
  if (http) {
    v[N_STATIC + 16] = px.feconn;
    v[N_STATIC + 17] = env.openStreams(px);
    v[N_STATIC + 18] = c.h1Conns;
    v[N_STATIC + 19] = c.h1Streams;
    v[N_STATIC + 20] = c.h1BytesIn;
    v[N_STATIC + 21] = c.h1BytesOut;
  }
  return r;
}

export function listenerRow(px: RtProxy, l: ListenerInfo, env: StatsEnv, flags: number): StatRow | null {
  const c = liCounters(l.ref);
  if (!c) return null;
  const iid = env.uuid(px);
  const r = newRow(TYPE_SO, iid, l.luid);
  const v = r.vals;
  v[0] = px.name;
  v[1] = l.name;
  v[4] = l.cur;
  v[5] = Math.max(c.connMax, l.cur);
  v[6] = l.maxconn;
  v[7] = c.cumConn;
  v[8] = c.bytesIn;
  v[9] = c.bytesOut;
  v[10] = c.deniedReq;
  v[11] = c.deniedResp;
  v[12] = c.failedReq;
  v[17] = l.paused ? 'PAUSED' : !l.maxconn || l.cur < l.maxconn ? 'OPEN' : 'FULL';
  v[26] = 1;
  v[27] = iid;
  v[28] = l.luid;
  v[32] = TYPE_SO;
  if (flags & FLAG_SHLGNDS) v[73] = l.addr;
  v[75] = modeOf(px);
  v[81] = c.deniedConn;
  v[82] = c.deniedSess;
  v[83] = c.failedRewrites;
  v[94] = c.internalErrors;
  v[N_STATIC] = v[N_STATIC + 1] = v[N_STATIC + 2] = 0;
  return r;
}

/** the server whose checks decide for `s` (the end of its track chain) */
function refOf(s: RtServer): RtServer {
  let r = s;
  for (let i = 0; r.tracks && i < 64; i++) r = r.tracks;
  return r;
}

/** a server in maintenance because the server it tracks is (HAProxy's IMAINT) */
export function maintVia(s: RtServer): RtServer | null {
  for (let t = s.tracks, i = 0; t && i < 64; t = t.tracks, i++) if (t.admin & (ADMF_FMAINT | ADMF_CMAINT)) return t;
  return null;
}

/** HAProxy's SRV_STATS_STATE strings (srv_hlt_st) for a server */
export function serverStatus(s: RtServer, env: StatsEnv): string {
  if (s.admin & (ADMF_FMAINT | ADMF_CMAINT)) return 'MAINT';
  const via = maintVia(s);
  if (via) return `MAINT (via ${s.tracks!.backend.name}/${s.tracks!.name})`;
  const ref = refOf(s);
  const ck = env.checks?.state(ref);
  const rise = ck?.spec.rise ?? 0;
  const fall = ck?.spec.fall ?? 0;
  const health = ck?.health ?? 0;
  if (s.up) {
    const goingDown = ck !== undefined && health < rise + fall - 1;
    if (s.admin & ADMF_FDRAIN) return goingDown ? `DRAIN ${health - rise + 1}/${fall}` : 'DRAIN';
    if (goingDown) return `UP ${health - rise + 1}/${fall}`;
    return ck ? 'UP' : 'no check';
  }
  if (ck && health === 0) return 'DOWN';
  if (ck) return `DOWN ${health}/${rise}`;
  return 'DOWN';
}

function addrOf(s: RtServer): string {
  if (s.unixPath) return 'unix';
  const port = s.usesClientPort ? s.portOffset : s.port;
  return s.host.includes(':') ? `[${s.host}]:${port}` : `${s.host}:${port}`;
}

export function serverRow(px: RtProxy, s: RtServer, env: StatsEnv, flags: number): StatRow {
  const c = srvCounters(s);
  const now = Date.now();
  const iid = env.uuid(px);
  const r = newRow(TYPE_SV, iid, s.id);
  const v = r.vals;
  const http = px.mode === 'http';
  const ref = refOf(s);
  const ownCheck = env.checks?.state(s);
  const refCheck = env.checks?.state(ref);
  v[0] = px.name;
  v[1] = s.name;
  v[2] = s.queued;
  v[3] = Math.max(c.nbpendMax, s.queued);
  v[4] = s.cur;
  v[5] = Math.max(c.connMax, s.cur);
  if (s.maxconn) v[6] = s.maxconn;
  v[7] = c.cumConn;
  v[8] = c.bytesIn;
  v[9] = c.bytesOut;
  v[11] = c.deniedResp;
  v[13] = c.failedConns;
  v[14] = c.failedResp;
  v[15] = c.retries;
  v[16] = c.redispatches;
  v[17] = serverStatus(s, env);
  v[18] = s.uweight;
  v[19] = s.backup ? 0 : 1;
  v[20] = s.backup ? 1 : 0;
  if (ownCheck) {
    v[21] = c.failedChecks;
    v[22] = c.downTrans;
    v[24] = downtime(c);
  }
  v[23] = nowSec() - c.lastChange;
  if (s.maxqueue) v[25] = s.maxqueue;
  v[26] = 1;
  v[27] = iid;
  v[28] = s.id;
  v[30] = c.cumLbconn;
  if (s.tracks) v[31] = `${s.tracks.backend.name}/${s.tracks.name}`;
  v[32] = TYPE_SV;
  v[33] = c.sessRate.read(now);
  v[35] = c.spsMax;
  if (ownCheck && !(s.admin & ADMF_MAINT)) {
    const last = ownCheck.last;
    const st = last ? last.status : 'INI';
    const info = st === 'INI' ? 'INI' : st;
    v[36] = ownCheck.running ? `* ${info}` : info;
    if (last && statusHasCode(last.status)) v[37] = last.code;
    if (last) v[38] = last.duration;
    v[65] = last ? STATUS_DESC[last.status] : 'Initializing';
    v[56] = last ? last.desc : '';
    v[67] = refCheck?.spec.rise ?? ownCheck.spec.rise;
    v[68] = refCheck?.spec.fall ?? ownCheck.spec.fall;
    v[69] = refCheck?.health ?? ownCheck.health;
  }
  if (http) {
    v[48] = c.cumReq;
    for (let k = 1; k <= 5; k++) v[38 + k] = c.rsp[k];
    v[44] = c.rsp[0];
  }
  v[49] = c.cliAborts;
  v[50] = c.srvAborts;
  v[55] = c.lastSess < 0 ? -1 : sec(now - c.lastSess);
  const samples = http ? c.cumReq : c.cumLbconn;
  const win = samples > 0 && samples < TIME_STATS_SAMPLES ? samples : TIME_STATS_SAMPLES;
  v[58] = swrateAvg(c.qTime, win);
  v[59] = swrateAvg(c.cTime, win);
  v[60] = swrateAvg(c.dTime, win);
  v[61] = swrateAvg(c.tTime, win);
  if (flags & FLAG_SHLGNDS) {
    v[73] = addrOf(s);
    const ck = s.conf.options.get('cookie')?.[0];
    if (ck) v[74] = ck;
  }
  v[75] = modeOf(px);
  v[83] = c.failedRewrites;
  v[84] = c.connect;
  v[85] = c.reuse;
  const pool = poolStats(s);
  v[88] = pool.idle;
  const ilim = s.conf.options.get('pool-max-conn')?.[0];
  if (ilim !== undefined && Number(ilim) !== -1) v[89] = Number(ilim);
  v[90] = c.qtMax;
  v[91] = c.ctMax;
  v[92] = c.dtMax;
  v[93] = c.ttMax;
  v[94] = c.internalErrors;
  v[95] = pool.idle;
  v[96] = 0;
  v[97] = 0;
  // a checked server counts its check connection in the estimate
  v[98] = Math.max(pool.need, ownCheck ? 1 : 0);
  v[99] = s.uweight;
  v[N_STATIC] = v[N_STATIC + 1] = v[N_STATIC + 2] = 0;
  return r;
}

/** srv_currently_usable(): up, not draining, with a weight */
function usableNow(s: RtServer): boolean {
  return s.up && !(s.admin & ADMF_FDRAIN) && s.eweight > 0;
}

export function backendRow(px: RtProxy, env: StatsEnv, flags: number, hideFlags = 0): StatRow {
  const c = beCounters(px);
  const now = Date.now();
  const iid = env.uuid(px);
  const r = newRow(TYPE_BE, iid, 0);
  const v = r.vals;
  const http = px.mode === 'http';
  let act = 0;
  let bck = 0;
  let wact = 0;
  let wbck = 0;
  let nbup = 0;
  let firstBck: RtServer | null = null;
  const allBackups = px.option('allbackups');
  for (const s of px.servers) {
    if (s.up) nbup++;
    if (!usableNow(s)) continue;
    if (s.backup) {
      bck++;
      if (allBackups || !firstBck) wbck += s.uweight;
      firstBck ??= s;
    } else {
      act++;
      wact += s.uweight;
    }
  }
  const totWeight = act ? wact : wbck;
  const totuw = act ? wact : firstBck ? firstBck.uweight : 0;
  v[0] = px.name;
  v[1] = 'BACKEND';
  v[2] = px.queue.length;
  v[3] = Math.max(c.nbpendMax, px.queue.length);
  v[4] = px.beconn;
  v[5] = Math.max(c.connMax, px.beconn);
  v[6] = env.fullconn(px);
  v[7] = c.cumConn;
  v[8] = c.bytesIn;
  v[9] = c.bytesOut;
  v[10] = c.deniedReq;
  v[11] = c.deniedResp;
  v[13] = c.failedConns;
  v[14] = c.failedResp;
  v[15] = c.retries;
  v[16] = c.redispatches;
  let st = totWeight > 0 || !px.servers.length ? 'UP' : 'DOWN';
  if (hideFlags) st += ` (${nbup}/${px.servers.length})`;
  v[17] = st;
  v[18] = totWeight;
  v[19] = act;
  v[20] = bck;
  v[22] = c.downTrans;
  v[23] = nowSec() - c.lastChange;
  if (px.servers.length) v[24] = downtime(c);
  v[26] = 1;
  v[27] = iid;
  v[28] = 0;
  v[30] = c.cumLbconn;
  v[32] = TYPE_BE;
  v[33] = c.sessRate.read(now);
  v[35] = c.spsMax;
  if (http) {
    v[48] = c.cumReq;
    for (let k = 1; k <= 5; k++) v[38 + k] = c.rsp[k];
    v[44] = c.rsp[0];
    v[86] = 0;
    v[87] = 0;
  }
  v[49] = c.cliAborts;
  v[50] = c.srvAborts;
  v[51] = v[52] = v[53] = v[54] = 0;
  v[55] = c.lastSess < 0 ? -1 : sec(now - c.lastSess);
  const samples = http ? c.cumReq : c.cumLbconn;
  const win = samples > 0 && samples < TIME_STATS_SAMPLES ? samples : TIME_STATS_SAMPLES;
  v[58] = swrateAvg(c.qTime, win);
  v[59] = swrateAvg(c.cTime, win);
  v[60] = swrateAvg(c.dTime, win);
  v[61] = swrateAvg(c.tTime, win);
  if (flags & FLAG_SHLGNDS) {
    const ck = px.conf.cookie?.name;
    if (ck) v[74] = ck;
    v[76] = algoName(px);
  }
  v[75] = modeOf(px);
  v[83] = c.failedRewrites;
  v[84] = c.connect;
  v[85] = c.reuse;
  v[90] = c.qtMax;
  v[91] = c.ctMax;
  v[92] = c.dtMax;
  v[93] = c.ttMax;
  v[94] = c.internalErrors;
  v[99] = totuw;
  v[100] = v[101] = v[102] = 0;
  for (let i = N_STATIC; i < N_FIELDS; i++) v[i] = 0;
  if (http) {
    let cur = 0;
    let idle = 0;
    for (const s of px.servers) {
      cur += s.cur;
      idle += poolStats(s).idle;
    }
    v[N_STATIC + 16] = cur + idle;
    v[N_STATIC + 17] = cur;
    v[N_STATIC + 18] = c.connect;
    v[N_STATIC + 19] = c.h1Streams;
    v[N_STATIC + 20] = c.h1BytesIn;
    v[N_STATIC + 21] = c.h1BytesOut;
  }
  return r;
}

/** backend_lb_algo_str() */
export function algoName(px: RtProxy): string {
  const a = px.conf.balance?.algo ?? 'roundrobin';
  if (a.startsWith('hdr')) return 'hdr';
  if (a.startsWith('rdp-cookie')) return 'rdp-cookie';
  return a;
}

// ---------------------------------------------------------------------------
// writers

/** csv_enc_append(): quotes a field holding a comma, a quote or a line break */
function csvField(s: string): string {
  if (!/[",\r\n]/.test(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}

export function csvLine(r: StatRow): string {
  let out = '';
  const v = r.vals;
  for (let i = 0; i < N_FIELDS; i++) {
    const x = v[i];
    if (x !== undefined) out += typeof x === 'string' ? csvField(x) : String(x);
    out += ',';
    if (i === N_STATIC - 1) out += '-,';
  }
  return out + '\n';
}

export function typedLines(r: StatRow, desc: boolean): string {
  const kind = r.type === TYPE_FE ? 'F' : r.type === TYPE_BE ? 'B' : r.type === TYPE_SO ? 'L' : 'S';
  let out = '';
  const v = r.vals;
  for (let i = 0; i < N_FIELDS; i++) {
    const x = v[i];
    if (x === undefined) continue;
    const name = i < N_STATIC ? FIELD_NAMES[i] : MODULE_NAMES[i - N_STATIC];
    out += `${kind}.${r.iid}.${r.sid}.${i}.${name}.1:${fieldTags(i, r.type)}:${x}`;
    if (desc) out += `:"${name}"`;
    out += '\n';
  }
  return out;
}
