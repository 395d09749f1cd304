/**
 * Traffic logs (HAProxy's log phase): targets and syslog headers
 * (syslog.ts), log-format compilation and rendering (format.ts), and the
 * per-proxy / per-stream logging the runtime calls (logger.ts).
 */
export {
  LogTarget,
  buildHeader,
  closeLogSockets,
  isoTime,
  setLogClock,
  parseTarget,
  FACILITIES,
  LEVELS,
  LOG_ALERT,
  LOG_EMERG,
  LOG_ERR,
  LOG_INFO,
  LOG_NOTICE,
  LOG_WARNING,
  type HeaderFormat,
  type HeaderMeta,
} from './syslog.js';
export {
  CompiledFormat,
  compileFormat,
  CLF_LOG_FORMAT,
  HTTP_LOG_FORMAT,
  HTTPS_LOG_FORMAT,
  TCP_LOG_FORMAT,
  type LogRecord,
} from './format.js';
export {
  ProxyLogger,
  addUniqueIdHeader,
  StreamLog,
  formatString,
  htxHeadSize,
  logAccept,
  logHttpError,
  logHttpTxn,
  logTcpStream,
  loggerOf,
  newStreamLog,
  proxyLog,
  setCapture,
  setupLogging,
  uniqueId,
  type BodyCount,
  type CaptureSlot,
  type HttpSource,
  type TcpSource,
} from './logger.js';
