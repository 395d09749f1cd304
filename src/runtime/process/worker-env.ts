/** The environment variable that carries a worker's job (kept apart so the master need not load the worker's module). */
export const WORKER_ENV = 'TSHAPROXY_WORKER_JOB';
