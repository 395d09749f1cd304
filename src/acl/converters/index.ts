/** Loads every converter family (each registers its rows in registry.ts). */
import './string.js';
import './arith.js';
import './hash.js';
import './map.js';
import './misc.js';
