/**
 * A Lucia v2 user adapter that keeps users and keys in memory: just enough for lucia 2.x's flows
 * in the tests. (The session adapter under test is the real one, over real Redis.)
 *
 * @module
 */

type Row = Record<string, unknown> & { id: string };
type Key = Record<string, unknown> & { id: string; user_id: string };

/** Creates an in-memory user adapter function for `lucia({ adapter: { user } })`. */
export function memoryUserAdapterV2() {
  const users = new Map<string, Row>();
  const keys = new Map<string, Key>();
  return () => ({
    getUser: (userId: string) => Promise.resolve(users.get(userId) ?? null),
    setUser: (user: Row, key: Key | null) => {
      users.set(user.id, user);
      if (key) keys.set(key.id, key);
      return Promise.resolve();
    },
    updateUser: (userId: string, partial: Partial<Row>) => {
      const user = users.get(userId);
      if (user) users.set(userId, { ...user, ...partial, id: userId });
      return Promise.resolve();
    },
    deleteUser: (userId: string) => Promise.resolve(void users.delete(userId)),
    getKey: (keyId: string) => Promise.resolve(keys.get(keyId) ?? null),
    getKeysByUserId: (userId: string) =>
      Promise.resolve([...keys.values()].filter((key) => key.user_id === userId)),
    setKey: (key: Key) => Promise.resolve(void keys.set(key.id, key)),
    updateKey: (keyId: string, partial: Partial<Key>) => {
      const key = keys.get(keyId);
      if (key) keys.set(keyId, { ...key, ...partial, id: keyId });
      return Promise.resolve();
    },
    deleteKey: (keyId: string) => Promise.resolve(void keys.delete(keyId)),
    deleteKeysByUserId: (userId: string) => {
      for (const [id, key] of keys) if (key.user_id === userId) keys.delete(id);
      return Promise.resolve();
    },
  });
}
