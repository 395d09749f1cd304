/**
 * HAProxy's own responses (errors, deny): the bytes a client receives.
 * 400 and 408 leave through the H1 layer as raw text (mixed-case names,
 * always `Connection: close`); the others are HTTP messages, so their names
 * are lowercase and `connection: close` appears only when the client
 * connection closes after them (HTTP/1.0 or `Connection: close` requests).
 *
 * INTERIM table until errors.ts (built from the captures) lands.
 */
const MSG: Record<number, [string, string]> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  501: ['Not Implemented', '.The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

const cache = new Map<string, Buffer>();

export function builtinError(status: number, close: boolean): Buffer {
  const key = `${status}${close ? 'c' : ''}`;
  let b = cache.get(key);
  if (b) return b;
  const [reason, text] = MSG[status] ?? MSG[500];
  const body = `<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`;
  if (status === 400 || status === 408) {
    b = Buffer.from(
      `HTTP/1.1 ${status} ${reason}\r\nContent-length: ${body.length}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n${body}`,
      'latin1',
    );
  } else {
    b = Buffer.from(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n${close ? 'connection: close\r\n' : ''}\r\n${body}`,
      'latin1',
    );
  }
  cache.set(key, b);
  return b;
}
