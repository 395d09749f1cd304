/**
 * `userlist` sections at runtime: http_auth(<userlist>) and
 * http_auth_group(<userlist>) checks, as HAProxy's check_user(): the user
 * must exist; an `insecure-password` is compared as text, a `password` is
 * a crypt(3) hash (crypt.ts). Groups come from both the user's `groups`
 * and the groups' `users` lists.
 */
import { sectionsOf, type Config, type UserlistSection } from '../../config/model.js';
import { cryptCheck } from './crypt.js';

const byConfig = new WeakMap<Config, Map<string, UserlistSection>>();

function userlist(config: Config, name: string): UserlistSection | undefined {
  let m = byConfig.get(config);
  if (!m) {
    m = new Map();
    for (const u of sectionsOf(config, 'userlist')) m.set(u.name, u);
    byConfig.set(config, m);
  }
  return m.get(name);
}

export function checkUser(config: Config | undefined, list: string, user: string, pass: string): boolean {
  if (!config) return false;
  const ul = userlist(config, list);
  const u = ul?.users.find((x) => x.name === user);
  if (!u) return false;
  if (u.insecurePassword !== undefined) return u.insecurePassword === pass;
  if (u.password !== undefined) return cryptCheck(pass, u.password);
  return false;
}

export function userGroups(config: Config | undefined, list: string, user: string): string[] | undefined {
  if (!config) return undefined;
  const ul = userlist(config, list);
  const u = ul?.users.find((x) => x.name === user);
  if (!ul || !u) return undefined;
  const out = new Set(u.groups);
  for (const g of ul.groups) if (g.users.includes(user)) out.add(g.name);
  return [...out];
}
