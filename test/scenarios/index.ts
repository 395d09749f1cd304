/** Every scenario, in run order. Add a file's scenarios here. */
import type { Scenario } from '../harness/scenario.js';
import tcpBasics from './tcp-basics.js';
import seed000 from './seed-000-comet.js';
import seed001 from './seed-001-websocket.js';
import seed002 from './seed-002-wt.js';
import seed004 from './seed-004-pumpio.js';
import httpErrors from './http-errors.js';

export const scenarios: Scenario[] = [...seed000, ...seed001, ...seed002, ...seed004, ...tcpBasics, ...httpErrors];
