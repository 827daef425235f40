/** Local portal users (SPEC §9): one province each, passwords kept only as scrypt hashes in the home's store. */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { TelcoKpiError } from '../errors.js';
import { isProvince } from '../extracts/file-name.js';
import type { ObjectStore } from '../ports.js';

/** Where the users live in the home's store (out of every receipt and lake prefix). */
export const USERS_KEY = 'portal/users.json';

export interface PortalUser {
  user: string;
  province: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
  passwordHash: string;
  createdAt: string;
}

export interface Principal {
  user: string;
  province: string;
}

/** A user name, province or password that cannot be kept. */
export class PortalUserError extends TelcoKpiError {}

/** Cost of the hash: 2^15 × 8 × 128 bytes = 32 MiB and about 0.1 s a sign-in on this machine kind. */
const SCRYPT: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>> = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 10;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The stored form of a password: a fresh salt and its scrypt hash with the parameters used. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when the password hashes to the stored form (compared in constant time). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash nobody's password matches, checked for unknown users so a wrong name takes as long as a wrong password. */
let decoy: Promise<string> | undefined;

/** The users file, read through the store; an absent file is no users. */
export async function readUsers(store: ObjectStore): Promise<PortalUser[]> {
  const bytes = await store.get(USERS_KEY);
  if (!bytes) return [];
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { users?: PortalUser[] };
  return Array.isArray(parsed.users) ? parsed.users : [];
}

/** Adds a user or replaces the password (and province) of an existing one; returns whether it was new. */
export async function addUser(store: ObjectStore, input: { user: string; province: string; password: string; now: Date }): Promise<{ created: boolean }> {
  const province = input.province.toUpperCase();
  if (!USER_NAME.test(input.user)) {
    throw new PortalUserError(`user name '${input.user}' is not allowed: use 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`);
  }
  if (!isProvince(province)) throw new PortalUserError(`'${input.province}' is not a province code; expected an ISO 3166-2:CN code without CN-, e.g. JL or GD`);
  if ([...input.password].length < MIN_PASSWORD_LENGTH) {
    throw new PortalUserError(`the password has ${[...input.password].length} characters; it needs at least ${MIN_PASSWORD_LENGTH}`);
  }
  const users = await readUsers(store);
  const record: PortalUser = { user: input.user, province, passwordHash: await hashPassword(input.password), createdAt: input.now.toISOString() };
  const at = users.findIndex((u) => u.user.toLowerCase() === input.user.toLowerCase());
  if (at >= 0) users[at] = record;
  else users.push(record);
  users.sort((a, b) => a.user.localeCompare(b.user));
  await store.put(USERS_KEY, `${JSON.stringify({ users }, null, 2)}\n`, { contentType: 'application/json' });
  return { created: at < 0 };
}

/** The principal for a user name and password, or undefined (same cost whether the name or the password is wrong). */
export async function authenticate(store: ObjectStore, user: string, password: string): Promise<Principal | undefined> {
  const found = (await readUsers(store)).find((u) => u.user.toLowerCase() === user.toLowerCase());
  if (!found) {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password, await decoy);
    return undefined;
  }
  return (await verifyPassword(password, found.passwordHash)) ? { user: found.user, province: found.province } : undefined;
}
