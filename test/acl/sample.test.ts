import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSampleExpr, parseLogFormat, fetches, converters, aclKeywords } from '../../src/acl/sample.js';
import { parseAclExpr } from '../../src/acl/acl.js';

const err = (r: { error: string } | object) => ('error' in r ? (r as { error: string }).error : undefined);

test('the fetch, converter and ACL keyword tables come from the 2.6.12 binary', () => {
  assert.ok(fetches.get('req.hdr'));
  assert.equal(fetches.get('path')?.out, 'str');
  assert.equal(converters.get('b64dec')?.in, 'str');
  assert.equal(converters.get('b64dec')?.out, 'bin');
  assert.deepEqual(aclKeywords.get('path_beg'), { fetch: 'path', method: 'beg' });
});

test('an unknown fetch, an unknown converter and a missing fetch get HAProxy texts', () => {
  assert.equal(err(parseSampleExpr('nosuch')), "unknown fetch method 'nosuch'");
  assert.equal(err(parseSampleExpr('req.hdr(host),nosuchconv')), "unknown converter 'nosuchconv'");
  assert.equal(err(parseSampleExpr('(arg)')), 'missing fetch method');
});

test('argument lists follow make_arg_list: too many, bad integers, missing mandatory ones', () => {
  assert.equal(err(parseSampleExpr('url_param(a,b,c)')), "fetch method 'url_param' : expected ')' before ',c)'");
  assert.equal(err(parseSampleExpr('path,lower(1)')), "invalid arg 1 in converter 'lower' : expected ')' before '1)'");
  assert.equal(err(parseSampleExpr('path,bytes(a)')), "invalid arg 1 in converter 'bytes' : failed to parse 'a' as type 'integer' at position 1");
  assert.equal(err(parseSampleExpr('path,bytes')), "invalid arg 1 in converter 'bytes' : expected type 'integer' at position 1, but got nothing");
  assert.equal(err(parseSampleExpr('req.hdr(host,')), "fetch method 'req.hdr' : expected ')'");
  // empty strings are valid string arguments
  assert.equal(err(parseSampleExpr('str()')), undefined);
  assert.equal(err(parseSampleExpr('var(txn.x),be2hex,lower')), undefined);
  // quotes and backslashes inside arguments
  assert.equal(err(parseSampleExpr('str("a,b"),concat(\'x)\',txn.y)')), undefined);
});

test('map converters need their pattern file', () => {
  assert.equal(err(parseSampleExpr('path,map(/nonexistent/file.map)')), "invalid args in converter 'map' : failed to open pattern file </nonexistent/file.map>");
});

test('log-format strings report the expression text from %[ to the end', () => {
  assert.equal(parseLogFormat('%[nosuch]').error, "failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'");
  assert.equal(parseLogFormat('%[hdr(arg))]').error, "expected ']' after 'hdr(arg)', but found ')'");
  assert.equal(parseLogFormat('%[path').error, "missing ']' after 'path'");
  assert.equal(parseLogFormat('x %[path,,lower] %%').error, undefined);
  // a response fetch at the frontend http-request header point (usage point 3)
  assert.equal(
    parseLogFormat('%[res.hdr(x)]', 3).error,
    "sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here",
  );
});

test('ACL expressions check flags, matching methods and patterns', () => {
  assert.equal(err(parseAclExpr(['path', '-m', 'foo', 'x'])), "unknown matching method 'foo' when parsing ACL expression");
  assert.equal(err(parseAclExpr(['path', '-x'])), "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'");
  assert.equal(err(parseAclExpr(['src', 'foo'])), "'foo' is not a valid IPv4 or IPv6 address");
  assert.equal(err(parseAclExpr(['src_port', '1:2', 'x:y'])), "'x:y' is not a valid number range");
  assert.equal(err(parseAclExpr(['int(1)', 'gt', 'x'])), "'x' is neither a number nor a supported operator");
  assert.equal(err(parseAclExpr(['path,lower,nosuch', 'x'])), "ACL keyword 'path' : unknown converter 'nosuch'.");
  assert.equal(err(parseAclExpr(['req.hdr(host),nosuch'])), "unknown converter 'nosuch' in ACL expression 'req.hdr(host),nosuch'");
  assert.equal(err(parseAclExpr(['var(txn.x)'])), "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')");
  assert.equal(err(parseAclExpr(['path', '-f', '/nonexistent.lst'])), 'failed to open pattern file </nonexistent.lst>');
  const ok = parseAclExpr(['hdr_dom(host)', '-i', 'example.com']);
  assert.ok('acl' in ok && ok.acl.method === 'dom');
});
