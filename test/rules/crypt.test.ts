/**
 * userlist passwords: MD5-crypt ($1$) and SHA-crypt ($5$, $6$, with
 * rounds=) computed in TypeScript, checked against `openssl passwd`
 * (the C implementation) on a range of passwords and salts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { crypt, cryptCheck } from '../../src/runtime/rules/crypt.js';
import { which } from '../harness/procs.js';

const OPENSSL = which('openssl');

const PASSWORDS = ['', 'a', 'secret', 'p@ss w0rd!', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'é-latin1-ÿ', '0123456789abcdefghijklmnopqrstuvwxyz'.repeat(3)];
const SALTS = ['s', 'saltsalt', 'abcdefghijklmnop', './AZaz09'];

/** openssl's answer; the password goes as an argument, so as UTF-8 bytes */
function openssl(scheme: string, salt: string, pw: string): string {
  const r = spawnSync(OPENSSL!, ['passwd', `-${scheme}`, '-salt', salt, pw], { encoding: 'latin1', timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** the bytes HAProxy compares: what the client sent, one char per byte */
const bytes = (pw: string) => Buffer.from(pw, 'utf8').toString('latin1');

for (const scheme of ['1', '5', '6']) {
  test(`crypt $${scheme}$ gives what openssl passwd -${scheme} gives`, { skip: !OPENSSL && 'openssl is not on PATH' }, () => {
    for (const salt of SALTS) {
      for (const pw of PASSWORDS) {
        // openssl -5/-6 cannot hash an empty password (checked below against the C library instead)
        if (!pw && scheme !== '1') continue;
        const expected = openssl(scheme, salt, pw);
        assert.equal(crypt(bytes(pw), expected), expected, `password ${JSON.stringify(pw)} salt ${salt}`);
      }
    }
  });
}

test('SHA-crypt honours rounds= (the round count shows in the result)', () => {
  // test vectors of the SHA-crypt specification
  assert.equal(
    crypt('Hello world!', '$5$rounds=10000$saltstringsaltstring'),
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  );
  assert.equal(
    crypt('Hello world!', '$6$rounds=10000$saltstringsaltstring'),
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  );
  // (checked with the C library's crypt())
  assert.equal(crypt('', '$5$s'), '$5$s$u9jS/E6rlpZoj8KCMVhpLKJh2MrO5hc9UBdfKCcvVU7');
  assert.equal(crypt('Hello world!', '$5$saltstring'), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
});

test('cryptCheck accepts the right password only, and refuses unknown schemes', () => {
  const h = '$6$abcdefgh$SWDwEZWRRYiTytOjaHki9le2a6Gb9QWh.kwC8cPkDKnPPbGNob41yZZrWFkkHj/HdGZ5pwS8KeUaKWpI8srgy.';
  assert.equal(cryptCheck('secret2', h), true);
  assert.equal(cryptCheck('secret3', h), false);
  assert.equal(cryptCheck('secret2', h), true); // cached
  assert.equal(cryptCheck('x', 'abJnggxhB/yWI'), false); // DES crypt: not supported
});
