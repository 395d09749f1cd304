/**
 * Byte classes of the HTTP/1 grammar as HAProxy 2.6 sees them (RFC 7230
 * token/separator/control sets, plus the bytes allowed in a version string).
 * Bytes 128..255 belong to no class.
 */
export const C_TOK = 0x01; // tchar
export const C_SEP = 0x02; // separator
export const C_LWS = 0x04; // SP, HT, CR, LF
export const C_SPHT = 0x08; // SP, HT
export const C_CRLF = 0x10; // CR, LF
export const C_VER = 0x20; // 'A'..'Z', '0'..'9', '.', '/'
export const C_DIG = 0x40; // '0'..'9'
export const C_CTL = 0x80; // 0..31, 127

export const CHARS = new Uint8Array(256);

(() => {
  for (let c = 0; c < 32; c++) CHARS[c] = C_CTL;
  CHARS[127] = C_CTL;
  CHARS[9] |= C_SPHT | C_LWS | C_SEP;
  CHARS[10] |= C_CRLF | C_LWS;
  CHARS[13] |= C_CRLF | C_LWS;
  CHARS[32] = C_SPHT | C_LWS | C_SEP;
  for (const ch of '"(),/:;<=>?@[\\]{}') CHARS[ch.charCodeAt(0)] |= C_SEP;
  for (let c = 33; c < 127; c++) if (!(CHARS[c] & C_SEP)) CHARS[c] |= C_TOK;
  for (let c = 48; c <= 57; c++) CHARS[c] |= C_VER | C_DIG;
  for (let c = 65; c <= 90; c++) CHARS[c] |= C_VER;
  CHARS[46] |= C_VER; // '.'
  CHARS[47] |= C_VER; // '/'
})();

/** value of a hex digit, or -1 */
export const HEX = new Int8Array(256).fill(-1);
(() => {
  for (let c = 0; c < 10; c++) HEX[48 + c] = c;
  for (let c = 0; c < 6; c++) {
    HEX[65 + c] = 10 + c;
    HEX[97 + c] = 10 + c;
  }
})();

/** ASCII lowercase of a latin1 string, allocation-free when already lowercase */
export function lower(s: string): string {
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c > 127) return lowerSlow(s);
  }
  return upper ? s.toLowerCase() : s;
}

// String#toLowerCase would also fold latin1 letters; HAProxy only folds ASCII
function lowerSlow(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out;
}

/** case-insensitive (ASCII) equality of two latin1 strings */
export function eqi(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}
