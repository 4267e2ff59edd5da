/**
 * A Lucia v1 user adapter that keeps users and keys in memory: just enough for lucia-auth's
 * flows in the tests. (The session adapter under test is the real one, over real Redis.)
 *
 * @module
 */
import type { KeySchema, LuciaErrorConstructor, UserAdapter, UserSchema } from "lucia-auth";

/** Creates an in-memory user adapter function for `lucia({ adapter: { user } })`. */
export function memoryUserAdapter(): (E: LuciaErrorConstructor) => UserAdapter {
  const users = new Map<string, UserSchema>();
  const keys = new Map<string, KeySchema>();
  return (E) => ({
    getUser: (userId) => Promise.resolve(users.get(userId) ?? null),
    setUser: (userId, attributes, key) => {
      if (users.has(userId)) return Promise.reject(new E("AUTH_INVALID_USER_ID"));
      if (key && keys.has(key.id)) return Promise.reject(new E("AUTH_DUPLICATE_KEY_ID"));
      const user = { ...attributes, id: userId } as UserSchema;
      users.set(userId, user);
      if (key) keys.set(key.id, key);
      return Promise.resolve(user);
    },
    deleteUser: (userId) => {
      users.delete(userId);
      return Promise.resolve();
    },
    updateUserAttributes: (userId, attributes) => {
      const user = users.get(userId);
      if (!user) return Promise.reject(new E("AUTH_INVALID_USER_ID"));
      const updated = { ...user, ...attributes } as UserSchema;
      users.set(userId, updated);
      return Promise.resolve(updated);
    },
    setKey: (key) => {
      if (keys.has(key.id)) return Promise.reject(new E("AUTH_DUPLICATE_KEY_ID"));
      keys.set(key.id, key);
      return Promise.resolve();
    },
    deleteNonPrimaryKey: (keyId) => {
      if (!keys.get(keyId)?.primary_key) keys.delete(keyId);
      return Promise.resolve();
    },
    deleteKeysByUserId: (userId) => {
      for (const [id, key] of keys) if (key.user_id === userId) keys.delete(id);
      return Promise.resolve();
    },
    updateKeyPassword: (keyId, hashedPassword) => {
      const key = keys.get(keyId);
      if (!key) return Promise.reject(new E("AUTH_INVALID_KEY_ID"));
      keys.set(keyId, { ...key, hashed_password: hashedPassword });
      return Promise.resolve();
    },
    getKey: async (keyId, shouldDataBeDeleted) => {
      const key = keys.get(keyId) ?? null;
      if (key && await shouldDataBeDeleted(key)) keys.delete(keyId);
      return key;
    },
    getKeysByUserId: (userId) =>
      Promise.resolve([...keys.values()].filter((key) => key.user_id === userId)),
  });
}
