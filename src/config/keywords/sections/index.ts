// Keyword modules of this folder register themselves when imported.
import './headers.js';
import './keywords.js';
