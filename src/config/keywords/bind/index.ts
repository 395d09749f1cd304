// Keyword modules of this folder register themselves when imported.
import './bind.js';
import './stats.js';
