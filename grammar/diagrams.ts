/**
 * `npm run grammar`: writes the railroad diagram of the haproxy.cfg grammar
 * to grammar/diagrams.html (Chevrotain's serialized grammar, rendered by its
 * diagram page).
 */
import { createSyntaxDiagramsCode } from 'chevrotain';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getGrammar } from './parser.js';

const out = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'grammar', 'diagrams.html');
// the page loads its rendering scripts from the installed chevrotain package, not from the network
const base = '../node_modules/chevrotain/diagrams/';
writeFileSync(
  out,
  createSyntaxDiagramsCode(getGrammar().getSerializedGastProductions(), { resourceBase: base, css: `${base}diagrams.css` }),
);
console.log(`wrote ${out}`);
