/**
 * The demo's user store: Lucia v1 users and keys in one JSON file (or only in memory).
 *
 * Why a file and not SQLite: Deno and Bun ship different SQLite drivers with different APIs,
 * and a native module would need a build step. Users and keys are a handful of small records in
 * a demo, so an in-memory map written to disk atomically (temporary file + rename) after each
 * change needs no server, no dependency and no per-runtime code, and a newcomer can open the file
 * to see that users and keys live outside Redis. It serves one process; it is not a production
 * database.
 *
 * @module
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import process from "node:process";
import type { KeySchema, LuciaErrorConstructor, UserAdapter, UserSchema } from "lucia-auth";

/** A user row: Lucia's user id plus the demo's one attribute. */
export interface StoredUser {
  /** Lucia's user id. */
  id: string;
  /** The email address the user signed up with (lower-cased). */
  email: string;
}

interface FileContents {
  version: 1;
  users: Record<string, StoredUser>;
  keys: Record<string, KeySchema>;
}

/** A user store that Lucia uses as its user adapter. */
export interface UserStore {
  /** Where the data is written, or null when it lives only in memory. */
  readonly file: string | null;
  /** Lucia's user adapter over this store. */
  adapter(E: LuciaErrorConstructor): UserAdapter;
  /** Waits for pending writes to reach the file. */
  flush(): Promise<void>;
}

function emptyContents(): FileContents {
  return { version: 1, users: {}, keys: {} };
}

async function load(file: string): Promise<FileContents> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return emptyContents();
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`The demo's user file ${file} is not valid JSON; delete it to start afresh.`);
  }
  const data = parsed as Partial<FileContents> | null;
  if (!data || data.version !== 1 || typeof data.users !== "object" || !data.users) {
    throw new Error(
      `The demo's user file ${file} has an unknown layout; delete it to start afresh.`,
    );
  }
  return { version: 1, users: data.users, keys: data.keys ?? {} };
}

/**
 * Opens the store. With a file path, existing data is read from it and every change is written
 * back atomically; with `null`, data lives in memory and is lost on exit.
 */
export async function openUserStore(file: string | null): Promise<UserStore> {
  const data = file ? await load(file) : emptyContents();
  let writes: Promise<void> = Promise.resolve();
  let counter = 0;

  // Changes are applied to `data` synchronously (so two sign-ups with one email cannot both
  // pass the duplicate check) and then queued for the disk one after another.
  const persist = (): Promise<void> => {
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify(data, null, 2) + "\n";
    const temporary = `${file}.${process.pid}.${++counter}.tmp`;
    const written = writes.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(temporary, snapshot, { encoding: "utf8", mode: 0o600 });
      await rename(temporary, file);
    });
    // A failed write fails its own caller; later writes still run (and carry all changes).
    writes = written.catch(() => {});
    return written;
  };

  const keysOf = (userId: string): KeySchema[] =>
    Object.values(data.keys).filter((key) => key.user_id === userId);

  const toUserSchema = (user: StoredUser): UserSchema => ({ ...user }) as unknown as UserSchema;

  return {
    file,
    flush: () => writes,
    adapter: (E) => ({
      getUser: (userId) => {
        const user = data.users[userId];
        return Promise.resolve(user ? toUserSchema(user) : null);
      },
      setUser: async (userId, attributes, key) => {
        if (key && data.keys[key.id]) throw new E("AUTH_DUPLICATE_KEY_ID");
        const user: StoredUser = { id: userId, email: String(attributes.email ?? "") };
        data.users[userId] = user;
        if (key) data.keys[key.id] = { ...key };
        await persist();
        return toUserSchema(user);
      },
      deleteUser: async (userId) => {
        delete data.users[userId];
        await persist();
      },
      updateUserAttributes: async (userId, attributes) => {
        const user = data.users[userId];
        if (!user) throw new E("AUTH_INVALID_USER_ID");
        if (typeof attributes.email === "string") user.email = attributes.email;
        await persist();
        return toUserSchema(user);
      },
      setKey: async (key) => {
        if (!data.users[key.user_id]) throw new E("AUTH_INVALID_USER_ID");
        if (data.keys[key.id]) throw new E("AUTH_DUPLICATE_KEY_ID");
        data.keys[key.id] = { ...key };
        await persist();
      },
      deleteNonPrimaryKey: async (keyId) => {
        if (data.keys[keyId]?.primary_key === false) {
          delete data.keys[keyId];
          await persist();
        }
      },
      deleteKeysByUserId: async (userId) => {
        for (const key of keysOf(userId)) delete data.keys[key.id];
        await persist();
      },
      updateKeyPassword: async (keyId, hashedPassword) => {
        const key = data.keys[keyId];
        if (!key) throw new E("AUTH_INVALID_KEY_ID");
        const updated = { ...key, hashed_password: hashedPassword };
        data.keys[keyId] = updated;
        await persist();
        return { ...updated };
      },
      getKey: async (keyId, shouldDataBeDeleted) => {
        const key = data.keys[keyId];
        if (!key) return null;
        if (await shouldDataBeDeleted(key)) {
          delete data.keys[keyId];
          await persist();
        }
        return { ...key };
      },
      getKeysByUserId: (userId) => Promise.resolve(keysOf(userId).map((key) => ({ ...key }))),
    }),
  };
}
