/** Processes, ports and bounded waits: shared with `tshaproxy compare` (src/compare/procs.ts). */
export * from '../../src/compare/procs.js';
