/**
 * Dashboard users over the store's user methods: password checks, the first-run admin, role checks.
 */
import { createHash } from 'node:crypto';
import { USER_ROLES, type Repository, type UserRecord, type UserRole } from '../store/repository.ts';
import { decoyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';

/** The store's user methods (migration 0003); createUser throws StoreError on a duplicate name. */
export type UserDirectory = Pick<Repository, 'createUser' | 'getUser' | 'listUsers' | 'setUserPassword' | 'deleteUser'>;

/**
 * What a session remembers of the password it logged in with: a short digest of the stored hash.
 * A new password changes it, so every other session of that user ends at its next request.
 */
export function passwordStamp(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);
}

export function isRole(v: unknown): v is UserRole {
  return typeof v === 'string' && (USER_ROLES as readonly string[]).includes(v);
}

const RANK: Record<UserRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** Does `role` include what `needed` may do (admin ⊃ operator ⊃ viewer)? */
export function roleAllows(role: UserRole, needed: UserRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** Names: 1-64 characters, letters, digits and . _ @ - (shown in pages, so kept plain). */
export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD = 12;

export async function newUser(name: string, role: UserRole, password: string): Promise<UserRecord> {
  if (!USER_NAME.test(name)) throw new Error('a user name is 1-64 letters, digits or . _ @ -');
  if (password.length < MIN_PASSWORD) throw new Error(`a password has at least ${MIN_PASSWORD} characters`);
  return { name, role, passwordHash: await hashPassword(password), createdAt: new Date().toISOString() };
}

/** The user when name and password match, else null; an unknown name costs as much as a wrong password. */
export async function authenticate(users: UserDirectory, name: string, password: string): Promise<UserRecord | null> {
  const user = USER_NAME.test(name) ? await users.getUser(name) : null;
  const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  return user && ok ? user : null;
}

export interface FirstRun {
  readonly created: boolean;
  /** The generated password (to print once); null when none was generated. */
  readonly generatedPassword: string | null;
}

/**
 * With no user at all, creates `admin`: with `envPassword` (PACSMAP_ADMIN_PASSWORD) when given,
 * else a generated password returned to be printed once. Never stores or logs the password itself.
 */
export async function ensureAdmin(users: UserDirectory, envPassword: string | undefined): Promise<FirstRun> {
  if ((await users.listUsers()).length > 0) return { created: false, generatedPassword: null };
  const given = envPassword !== undefined && envPassword !== '' ? envPassword : null;
  const password = given ?? generatePassword();
  await users.createUser(await newUser('admin', 'admin', password));
  return { created: true, generatedPassword: given === null ? password : null };
}
