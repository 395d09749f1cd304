/**
 * TLS session tickets on binds, renewed on every resumption as HAProxy 2.6
 * does (observed: 2 tickets after a full TLS 1.3 handshake, 1 after each
 * resumed one). Node's own ticket callback accepts a ticket without renewing
 * it, so a resumed TLS 1.3 connection gets no new ticket; clients that use a
 * ticket once (OpenSSL's, e.g. wrk or curl) then alternate full and resumed
 * handshakes. Here the ticket key callback of Node's SecureContext is set
 * with keys made per bind line (HAProxy's default: OpenSSL's keys of the
 * bind's context, random at start), and a good ticket asks for renewal.
 * `no-tls-tickets` (SSL_OP_NO_TICKET) leaves the context alone.
 */
import { randomBytes } from 'node:crypto';
import type * as tls from 'node:tls';

/** one bind line's ticket keys: name (16 bytes), HMAC-SHA256 key (32), AES-128 key (16) */
export interface TicketKeys {
  name: Buffer;
  hmac: Buffer;
  aes: Buffer;
}

export function newTicketKeys(): TicketKeys {
  return { name: randomBytes(16), hmac: randomBytes(32), aes: randomBytes(16) };
}

interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, enc: boolean) => unknown[];
}

/**
 * Installs the renewing callback on `ctx`; false when this Node has no
 * ticket key callback (then Node's default behaviour stays).
 */
export function renewTickets(ctx: tls.SecureContext, keys: TicketKeys): boolean {
  const c = (ctx as unknown as { context?: NativeContext }).context;
  if (!c || typeof c.enableTicketKeyCallback !== 'function') return false;
  // [result, hmac key, aes key, key name, iv]: 1 = ticket made; 2 = ticket good, send a new one; 0 = unknown key
  c.onticketkeycallback = (name, _iv, enc) =>
    enc ? [1, keys.hmac, keys.aes, keys.name, randomBytes(16)] : [name.equals(keys.name) ? 2 : 0, keys.hmac, keys.aes];
  c.enableTicketKeyCallback();
  return true;
}
