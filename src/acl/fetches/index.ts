/** Loads every fetch family (each registers its rows in registry.ts). */
import './internal.js';
import './l4.js';
import './stick.js';
import './payload.js';
import './http.js';
import './ssl.js';
import './dev.js';
