// Keyword modules of this folder register themselves when imported.
import './section.js';
import './keywords.js';
import './log.js';
import './serverstate.js';
