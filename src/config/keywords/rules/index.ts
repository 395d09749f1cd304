// Keyword modules of this folder register themselves when imported.
import './acl.js';
import './http.js';
import './switching.js';
