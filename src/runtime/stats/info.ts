/**
 * `show info`: HAProxy 2.6's process information fields (stats_fill_info),
 * in its order, with the tags `show info typed` prints. Fields HAProxy
 * leaves out of a build without SSL/zlib, or without `description`, are
 * left out here the same way.
 */
import { hostname } from 'node:os';
import { GLOBAL } from './counters.js';
import { VERSION_LINE } from './version.js';

export interface InfoEnv {
  nbthread: number;
  maxconn: number;
  maxsock: number;
  ulimitN: number;
  currConns: number;
  jobs: number;
  listeners: number;
  stopping: boolean;
  node?: string;
  description?: string;
  tasks: number;
}

/** [index, name, tags:type, value] of every field printed */
export type InfoField = [number, string, string, string | number];

function uptime(up: number): string {
  const d = Math.floor(up / 86400);
  const h = Math.floor((up % 86400) / 3600);
  const m = Math.floor((up % 3600) / 60);
  const s = up % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

export function infoFields(env: InfoEnv): InfoField[] {
  const now = Date.now();
  const up = Math.floor((now - GLOBAL.startMs) / 1000);
  const mem = process.memoryUsage();
  const f: InfoField[] = [
    [0, 'Name', 'POS:str', 'HAProxy'],
    [1, 'Version', 'POS:str', VERSION_LINE.version],
    [2, 'Release_date', 'POS:str', VERSION_LINE.date],
    [3, 'Nbthread', 'CGS:u32', env.nbthread],
    [4, 'Nbproc', 'CGS:u32', 1],
    [5, 'Process_num', 'KGP:u32', 1],
    [6, 'Pid', 'SGP:u32', process.pid],
    [7, 'Uptime', 'MDP:str', uptime(up)],
    [8, 'Uptime_sec', 'MDP:u32', up],
    [9, 'Memmax_MB', 'CLP:u32', 0],
    [10, 'PoolAlloc_MB', 'MGP:u32', 0],
    [11, 'PoolUsed_MB', 'MGP:u32', 0],
    [12, 'PoolFailed', 'MCP:u32', 0],
    [13, 'Ulimit-n', 'CLP:u32', env.ulimitN],
    [14, 'Maxsock', 'CLP:u32', env.maxsock],
    [15, 'Maxconn', 'CLP:u32', env.maxconn],
    [16, 'Hard_maxconn', 'CLP:u32', env.maxconn],
    [17, 'CurrConns', 'MGP:u32', env.currConns],
    [18, 'CumConns', 'MCP:u32', GLOBAL.cumConns],
    [19, 'CumReq', 'MCP:u32', GLOBAL.cumReq],
    [20, 'MaxSslConns', 'MMP:u32', 0],
    [21, 'CurrSslConns', 'MGP:u32', 0],
    [22, 'CumSslConns', 'MCP:u32', 0],
    [23, 'Maxpipes', 'CLP:u32', 0],
    [24, 'PipesUsed', 'MGP:u32', 0],
    [25, 'PipesFree', 'MGP:u32', 0],
    [26, 'ConnRate', 'MRP:u32', GLOBAL.connRate.read(now)],
    [27, 'ConnRateLimit', 'CLP:u32', 0],
    [28, 'MaxConnRate', 'MMP:u32', GLOBAL.cpsMax],
    [29, 'SessRate', 'MRP:u32', GLOBAL.sessRate.read(now)],
    [30, 'SessRateLimit', 'CLP:u32', 0],
    [31, 'MaxSessRate', 'MRP:u32', GLOBAL.spsMax],
    [32, 'SslRate', 'MRP:u32', 0],
    [33, 'SslRateLimit', 'CLP:u32', 0],
    [34, 'MaxSslRate', 'MMP:u32', 0],
    [35, 'SslFrontendKeyRate', 'MGP:u32', 0],
    [36, 'SslFrontendMaxKeyRate', 'MMP:u32', 0],
    [37, 'SslFrontendSessionReuse_pct', 'MGP:u32', 0],
    [38, 'SslBackendKeyRate', 'MRP:u32', 0],
    [39, 'SslBackendMaxKeyRate', 'MMP:u32', 0],
    [40, 'SslCacheLookups', 'MCP:u32', 0],
    [41, 'SslCacheMisses', 'MCP:u32', 0],
    [42, 'CompressBpsIn', 'MRP:u32', 0],
    [43, 'CompressBpsOut', 'MRP:u32', 0],
    [44, 'CompressBpsRateLim', 'CLP:u32', 0],
    [47, 'Tasks', 'MGP:u32', env.tasks],
    [48, 'Run_queue', 'MGP:u32', 0],
    [49, 'Idle_pct', 'MaP:u32', 100],
    [50, 'node', 'COS:str', env.node ?? hostname()],
  ];
  if (env.description !== undefined) f.push([51, 'description', 'COS:str', env.description]);
  f.push(
    [52, 'Stopping', 'MGP:u32', env.stopping ? 1 : 0],
    [53, 'Jobs', 'MGP:u32', env.jobs],
    [54, 'Unstoppable Jobs', 'MGP:u32', 0],
    [55, 'Listeners', 'MGP:u32', env.listeners],
    [56, 'ActivePeers', 'MGP:u32', 0],
    [57, 'ConnectedPeers', 'MGP:u32', 0],
    [58, 'DroppedLogs', 'MGP:u32', 0],
    [59, 'BusyPolling', 'MGP:u32', 0],
    [60, 'FailedResolutions', 'MGP:u32', 0],
    [61, 'TotalBytesOut', 'MGP:u64', GLOBAL.bytesOut],
    [62, 'TotalSplicdedBytesOut', 'MGP:u64', 0],
    [63, 'BytesOutRate', 'MRP:u64', GLOBAL.bytesRate.read(now)],
    [64, 'DebugCommandsIssued', 'MGP:u32', 0],
    [65, 'CumRecvLogs', 'MCP:u32', 0],
    [66, 'Build info', 'POS:str', VERSION_LINE.version],
    [67, 'Memmax_bytes', 'CLP:u32', 0],
    [68, 'PoolAlloc_bytes', 'MGP:u64', mem.heapTotal],
    [69, 'PoolUsed_bytes', 'MGP:u64', mem.heapUsed],
    [70, 'Start_time_sec', 'MDP:u32', Math.floor(GLOBAL.startMs / 1000)],
    [71, 'Tainted', 'SGP:str', '0'],
  );
  return f;
}

/** `show info` (name: value), `show info typed`, with `desc` the field description */
export function renderInfo(fields: InfoField[], typed: boolean, desc: boolean): string {
  let out = '';
  for (const [i, name, tags, val] of fields) {
    if (typed) out += `${i}.${name}.1:${tags}:${val}`;
    else out += `${name}: ${val}`;
    if (desc) out += `:"${INFO_DESC[name] ?? ''}"`;
    out += '\n';
  }
  return out;
}

/** the descriptions HAProxy prints with `show info desc` */
const INFO_DESC: Record<string, string> = {
  Name: 'Product name',
  Version: 'Product version',
  Release_date: 'Date of latest source code update',
  Nbthread: 'Number of started threads (global.nbthread)',
  Nbproc: 'Number of started worker processes (historical, always 1)',
  Process_num: 'Relative worker process number (1)',
  Pid: 'This worker process identifier for the system',
  Uptime: 'How long ago this worker process was started (days+hours+minutes+seconds)',
  Uptime_sec: 'How long ago this worker process was started (seconds)',
  Memmax_MB: 'Worker process\'s hard limit on memory usage in MB (-m on command line)',
  PoolAlloc_MB: 'Amount of memory allocated in pools (in MB)',
  PoolUsed_MB: 'Amount of pool memory currently used (in MB)',
  PoolFailed: 'Number of failed pool allocations since this worker was started',
  'Ulimit-n': 'Hard limit on the number of per-process file descriptors',
  Maxsock: 'Hard limit on the number of per-process sockets',
  Maxconn: 'Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)',
  Hard_maxconn: 'Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)',
  CurrConns: 'Current number of connections on this worker process',
  CumConns: 'Total number of connections on this worker process since started',
  CumReq: 'Total number of requests on this worker process since started',
};
