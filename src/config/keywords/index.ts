/**
 * Loads every keyword module. Each folder registers its own rows in its
 * index; the generic rows (every keyword documented for 2.6) come last so
 * that a module's own row always wins.
 */
import './global/index.js';
import './proxy/index.js';
import './bind/index.js';
import './server/index.js';
import './rules/index.js';
import './sections/index.js';
import './legacy/legacy.js';
import { installGenericRows } from './generic.js';

installGenericRows();
