import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInDir } from '../helpers.js';

const run = checkInDir;

test('a missing Lua file is reported the way Lua reports it', async () => {
  const { res, lines } = await run('global\n    lua-load ./nope.lua\n    lua-load-per-thread nope2.lua\n');
  assert.equal(res.exit, 1);
  assert.ok(lines.includes("alert: parsing [h.cfg:2] : error in Lua file './nope.lua': cannot open ./nope.lua: No such file or directory"));
  assert.ok(lines.includes("alert: parsing [h.cfg:3] : error in Lua file 'nope2.lua': cannot open nope2.lua: No such file or directory"));
});

test('an existing Lua file is accepted in strict mode, and a directory is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsh-lua-'));
  mkdirSync(join(dir, 'd.lua'));
  const { lines } = await run(`global\n    lua-load ok.lua\n    lua-load ${join(dir, 'd.lua')}\n    lua-load\n`, {}, { 'ok.lua': '-- x\n' });
  assert.ok(!lines.some((l) => l.includes('h.cfg:2')));
  assert.ok(lines.includes(`alert: parsing [h.cfg:3] : error in Lua file '${join(dir, 'd.lua')}': cannot read ${join(dir, 'd.lua')}: Is a directory`));
  assert.ok(lines.includes("alert: parsing [h.cfg:4] : 'lua-load' expects a file name as parameter."));
});

test('global log targets are checked like HAProxy does (facility, address, level)', async () => {
  const { lines } = await run(
    'global\n    log loghost local0\n    log 127.0.0.1 profile\n    log 127.0.0.1\n    log 127.0.0.1:514 local0 info badlvl\n    log global\n    log 127.0.0.1:10001-10010 local0\n    log stdout format raw local0\n    log localhost local0\n',
  );
  assert.ok(lines.includes("alert: parsing [h.cfg:2] : log : invalid address: 'loghost' in 'loghost'\n"));
  assert.ok(lines.includes("alert: parsing [h.cfg:3] : log : unknown log facility 'profile'"));
  assert.ok(lines.includes('alert: parsing [h.cfg:4] : log : expects <address> and <facility>  as arguments'));
  assert.ok(lines.includes("alert: parsing [h.cfg:5] : log : unknown optional minimum log level 'badlvl'"));
  assert.ok(lines.includes("alert: parsing [h.cfg:6] : log : 'global' is not supported for a global syslog server"));
  assert.ok(lines.includes("alert: parsing [h.cfg:7] : log : port range not permitted here in '127.0.0.1:10001-10010'"));
  assert.ok(!lines.some((l) => l.includes('h.cfg:8]') || l.includes('h.cfg:9]')));
});

test('an unknown global keyword gets the suggestion HAProxy 2.6 computes from its own keyword list', async () => {
  const { lines } = await run('global\n    nosepoll\n    wurfl-data-file /x\n    cpu-set 1\n    ssl-engine rdrand\n    wurfl-cache-size 1\n');
  assert.ok(lines.includes("alert: parsing [h.cfg:2] : unknown keyword 'nosepoll' in 'global' section; did you mean 'noepoll' maybe ?"));
  assert.ok(lines.includes("alert: parsing [h.cfg:3] : unknown keyword 'wurfl-data-file' in 'global' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:4] : unknown keyword 'cpu-set' in 'global' section; did you mean 'cpu-map' maybe ?"));
  assert.ok(lines.includes("alert: parsing [h.cfg:5] : unknown keyword 'ssl-engine' in 'global' section"));
  assert.ok(lines.includes("alert: parsing [h.cfg:6] : unknown keyword 'wurfl-cache-size' in 'global' section; did you mean 'tune.ssl.cachesize' maybe ?"));
});

test('repeated and empty global settings get HAProxy messages', async () => {
  const { lines } = await run(
    'global test\n    maxconn\n    maxconn 10\n    maxconn 20\n    ca-base /tmp\n    ca-base /tmp\n    group haproxy\n    group haproxy\n    nbthread abc\n    issuers-chain-path /nonexistent-dir\n    ssl-dh-param-file /nonexistent\n    setenv X\n',
  );
  assert.ok(lines.includes("alert: parsing [h.cfg:1] : 'global' cannot handle unexpected argument 'test'."));
  assert.ok(lines.includes("alert: parsing [h.cfg:2] : 'maxconn' expects an integer argument."));
  assert.ok(lines.includes("alert: parsing [h.cfg:4] : 'maxconn' already specified. Continuing."));
  assert.ok(lines.includes("alert: parsing [h.cfg:6] : 'ca-base' already specified."));
  assert.ok(lines.includes('alert: parsing [h.cfg:8] : gid/group was already specified. Continuing.'));
  assert.ok(lines.includes("alert: parsing [h.cfg:9] : 'nbthread' passed a missing or unparsable integer value in 'abc'"));
  assert.ok(lines.some((l) => l.startsWith("alert: parsing [h.cfg:10] : global statement 'issuers-chain-path' expects a directory path as an argument.")));
  assert.ok(lines.includes("alert: parsing [h.cfg:11] : 'ssl-dh-param-file': unable to load DH parameters from file </nonexistent>."));
  assert.ok(lines.includes("alert: parsing [h.cfg:12]: 'setenv' expects a name and a value."));
});

test('setenv changes what later "${VAR}" expansions see, presetenv does not overwrite', async () => {
  const env: Record<string, string> = { KEEP: 'kept' };
  const { lines } = await run(
    'global\n    setenv MYFAC local0\n    presetenv KEEP other\n    log 127.0.0.1 "${MYFAC}"\n    log 127.0.0.1 "${KEEP}"\n',
    { getenv: (n) => env[n] },
  );
  assert.ok(!lines.some((l) => l.includes('h.cfg:4]')), lines.join('\n'));
  assert.ok(lines.includes("alert: parsing [h.cfg:5] : log : unknown log facility 'kept'"));
});
