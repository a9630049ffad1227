import type { SecondFactorThrottlePolicy } from "../core/ports.js";
import type { Store } from "./kysely-store.js";
import { openPostgresStore } from "./postgres.js";
import { openSQLiteStore, type SQLiteStoreOptions } from "./sqlite.js";

/** Where the data lives: PostgreSQL when a URL is given, else the embedded SQLite file. */
export interface StoreLocation {
  databaseFile: string;
  databaseURL?: string | undefined;
}

export function describeStore(location: StoreLocation): string {
  return location.databaseURL ? "the PostgreSQL database" : `the database at ${location.databaseFile}`;
}

export function openStore(
  location: StoreLocation,
  policy: SecondFactorThrottlePolicy,
  sqliteOptions?: SQLiteStoreOptions,
): Promise<Store> {
  return location.databaseURL
    ? openPostgresStore(location.databaseURL, policy)
    : openSQLiteStore(location.databaseFile, policy, sqliteOptions);
}
