/** An in-memory stand-in for the store's user methods (unit tests only). */
import { StoreError } from '../../../src/store/repository.ts';
import type { UserDirectory, UserRecord } from '../../../src/serve/users.ts';

export class MemoryUsers implements UserDirectory {
  readonly #users = new Map<string, UserRecord>();

  async createUser(user: UserRecord): Promise<void> {
    if (this.#users.has(user.name)) throw new StoreError(`user ${user.name} exists`);
    this.#users.set(user.name, user);
  }

  async getUser(name: string): Promise<UserRecord | null> {
    return this.#users.get(name) ?? null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return [...this.#users.values()];
  }
}
