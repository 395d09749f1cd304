/** Every scenario, in the order they run and print. */
import type { Scenario } from '../lib/scenario.js';
import { check } from './check.js';
import { close, keepalive, large, tlsClose, tlsKeepalive } from './http.js';
import { idle } from './idle.js';
import { rules } from './rules.js';
import { tcp1m, tcp64k, tcpConnRate, tcpKeepalive } from './tcp.js';
import { websocket } from './websocket.js';

export const scenarios: Scenario[] = [keepalive, close, large, tlsClose, tlsKeepalive, tcpKeepalive, tcp64k, tcp1m, tcpConnRate, idle, check, rules, websocket];
