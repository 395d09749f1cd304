/** The version strings `show version`, `show info` and the stats page print: the emulated HAProxy's. */
import { HAPROXY_BRANCH, HAPROXY_VERSION } from '../../version.js';

export const VERSION_LINE = {
  version: HAPROXY_VERSION,
  /** the release date that HAProxy build reports (haproxy -v) */
  date: '2026/10/17',
  branch: HAPROXY_BRANCH,
};
