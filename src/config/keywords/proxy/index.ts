// Keyword modules of this folder register themselves when imported.
import './section.js';
import './options.js';
import './basics.js';
import './log.js';
import './misc.js';
import './stats.js';
import './stick.js';
