// Keyword modules of this folder register themselves when imported.
import './server.js';
