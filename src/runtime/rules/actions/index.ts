/**
 * Every action family, registered in the table (registry.ts). Importing
 * this module loads them all.
 */
import './flow.js';
import './headers.js';
import './uri.js';
import './vars.js';
import './redirect.js';
import './misc.js';
import './legacy.js';
import '../../stick/actions.js';

export { findActionDef, allActionDefs, defineActions, HREQ, HRES, HAFT, TCON, TSES, TCNT, TRES, REDIR } from './registry.js';
