// Everything the HTTP bench runs against, started once per run and torn down at the end: the
// bare baseline, gatehouse on SQLite (temp data folders), two instances on one scratch
// PostgreSQL database, and two more with their throttle in Redis under a per-run key prefix.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createScratchDatabase, type ScratchDatabase } from "../../test/support/postgres.js";
import type { BenchKeys } from "./keys.js";
import { startBenchProcess, type BenchProcess } from "./processes.js";
import type { Deployment } from "./scenarios.js";
import { openSeedDB, seedAccounts, type SeedDB, type SeededAccount } from "./seed.js";

export const REDIS_URL = "redis://127.0.0.1:6379";

/** Undoes one piece of setup; run in reverse order at the end, failures reported, not thrown. */
type Cleanup = () => Promise<unknown>;

export class Fleet {
  private readonly cleanups: Cleanup[] = [];
  constructor(
    readonly keys: BenchKeys,
    private readonly log: (line: string) => void,
  ) {}

  /** Settings every gatehouse process of the run shares. */
  private serverEnv(extra: Record<string, string>): Record<string, string> {
    return {
      GATEHOUSE_SECRET_KEY: this.keys.masterKey,
      // Request logs off: the bench measures the app, not a pipe to its own stdout.
      GATEHOUSE_LOG_LEVEL: "warn",
      ...extra,
    };
  }

  private async start(name: string, entry: "server-entry.ts" | "bare-entry.ts", env: Record<string, string>): Promise<BenchProcess> {
    const server = await startBenchProcess(name, entry, env);
    this.cleanups.push(() => server.stop());
    return server;
  }

  startBare(): Promise<BenchProcess> {
    return this.start("bare fastify", "bare-entry.ts", {});
  }

  /** gatehouse on SQLite in a fresh data folder; `seed` runs on its database before the start. */
  async startSQLite<T>(
    label: string,
    seed: (db: SeedDB) => Promise<T>,
    env: Record<string, string> = {},
  ): Promise<{ deployment: Deployment; seeded: T }> {
    const dataDir = await mkdtemp(join(tmpdir(), `gatehouse-bench-${label}-`));
    this.cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const db = await openSeedDB({ sqliteFile: join(dataDir, "gatehouse.sqlite") });
    this.cleanups.push(() => db.kysely.destroy());
    const seeded = await seed(db);
    const server = await this.start(label, "server-entry.ts", this.serverEnv({ ...env, GATEHOUSE_DATA_DIR: dataDir }));
    return { deployment: { label, instances: [server], db, keys: this.keys }, seeded };
  }

  /** A scratch PostgreSQL database (dropped at the end), migrated and seeded before any server starts. */
  async openPostgres(): Promise<{ database: ScratchDatabase; db: SeedDB }> {
    const database = await createScratchDatabase("gatehouse_bench");
    this.cleanups.push(() => database.drop());
    const db = await openSeedDB({ postgresURL: database.url });
    this.cleanups.push(() => db.kysely.destroy());
    return { database, db };
  }

  /** `count` instances on one PostgreSQL database, optionally with the throttle in Redis. */
  async startPostgresInstances(label: string, url: string, db: SeedDB, count: number, redis: boolean): Promise<Deployment> {
    const extra: Record<string, string> = { DATABASE_URL: url };
    if (redis) {
      const prefix = `gatehouse-bench-${randomBytes(6).toString("hex")}:`;
      Object.assign(extra, { REDIS_URL, GATEHOUSE_REDIS_PREFIX: prefix });
      this.cleanups.push(() => deleteRedisKeys(prefix));
    }
    const dataDir = await mkdtemp(join(tmpdir(), `gatehouse-bench-${label}-`));
    this.cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const instances = await Promise.all(
      Array.from({ length: count }, (_, i) => this.start(`${label} #${i + 1}`, "server-entry.ts", this.serverEnv({ ...extra, GATEHOUSE_DATA_DIR: dataDir }))),
    );
    return { label, instances, db, keys: this.keys };
  }

  async close(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) {
      await cleanup().catch((error: unknown) => this.log(`cleanup failed: ${(error as Error).message}`));
    }
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Signed-in accounts (one full session each), enough for every connection to use its own. */
export function seedSignedIn(db: SeedDB, keys: BenchKeys, label: string, count: number, keep?: number): Promise<SeededAccount[]> {
  return seedAccounts(db, keys, { label, count, session: "full", ...(keep !== undefined && { keep }) });
}
