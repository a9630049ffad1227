// Argon2 work a refused attempt costs (review F6): a wrong recovery code against a wrong
// password, which costs one Argon2id verify. Recovery codes are keyed hashes now; the "legacy"
// case seeds 10 Argon2id-hashed codes per account (codes issued before), which a wrong code
// verifies one by one: the amplification the fix removed for new codes.
import { randomBytes, randomUUID } from "node:crypto";
import { ARGON2_PRODUCTION, createPasswordHasher } from "../../src/core/password.js";
import { generateRecoveryCodes, normalizeRecoveryCode } from "../../src/core/recovery-codes.js";
import { postForm } from "./requests.js";
import { measureLoad, pick, PoolSizer, type Deployment, type LoadSettings, type Scenario } from "./scenarios.js";
import { seedAccounts, type SeededAccount } from "./seed.js";

/** Valid in form, never issued: the codes are random 50-bit values. */
const WRONG_RECOVERY_CODE = "ZZZZZ-ZZZZZ";
const CODES_PER_ACCOUNT = 10;
/** The throttle locks at the 5th failure: 4 wrong codes per account. */
const WRONG_PER_ACCOUNT = 4;

let legacyHash: Promise<string> | undefined;
/** One Argon2id hash at the production parameters: a verify costs the same whatever the salt. */
const sharedLegacyHash = () => (legacyHash ??= createPasswordHasher(ARGON2_PRODUCTION).hash("0000000000"));

async function seedRecoveryCodes(deployment: Deployment, accounts: readonly SeededAccount[], legacy: boolean) {
  const now = Date.now();
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const hash = legacy ? await sharedLegacyHash() : undefined;
  const rows = accounts.flatMap((account) =>
    generateRecoveryCodes(random, CODES_PER_ACCOUNT).map((code) => ({
      id: randomUUID(),
      user_id: account.userId,
      code_hash: hash ?? deployment.keys.recoveryCodes.hash(account.userId, normalizeRecoveryCode(code)!),
      used_at: null,
      created_at: now,
    })),
  );
  for (let i = 0; i < rows.length; i += 1_000) await deployment.db.kysely.insertInto("gatehouse_recovery_codes").values(rows.slice(i, i + 1_000)).execute();
}

/** POST /2fa/recovery with a wrong code from password-only sessions, 4 per account. */
export function wrongRecoveryCodeScenario(
  meta: Omit<Scenario, "measure">,
  deployment: Deployment,
  settings: LoadSettings,
  options: { initialRps: number; legacy: boolean },
): Scenario {
  const sizer = new PoolSizer(options.initialRps, settings);
  let round = 0;
  return {
    ...meta,
    async measure() {
      const accounts = await seedAccounts(deployment.db, deployment.keys, { label: `${meta.id}-${round++}`, count: sizer.size(WRONG_PER_ACCOUNT), session: "pending" });
      await seedRecoveryCodes(deployment, accounts, options.legacy);
      const measurement = await measureLoad(
        {
          ...settings,
          targets: [deployment.instances[0]!.url],
          maxRequests: accounts.length * WRONG_PER_ACCOUNT,
          source: (index, origin) => {
            const account = pick(accounts, Math.floor(index / WRONG_PER_ACCOUNT));
            return postForm("/2fa/recovery", origin, account.sessionToken, account.csrfToken, { recovery_code: WRONG_RECOVERY_CODE });
          },
          expectedStatus: 401,
        },
        settings,
        deployment.instances[0]!,
      );
      sizer.observe(measurement.rps);
      if (measurement.requests === 0) measurement.note = "no request finished within the round (each waits behind the Argon2 queue)";
      return measurement;
    },
  };
}

/**
 * POST /login with a wrong password for an existing user: one Argon2id verify. Each request
 * comes from its own client address (X-Forwarded-For from the trusted bench client), so the
 * per-address limits never answer in the verify's place.
 */
export function wrongPasswordScenario(meta: Omit<Scenario, "measure">, deployment: Deployment, user: SeededAccount, settings: LoadSettings): Scenario {
  // An anonymous visitor's cookie token is never stored; it only seeds the CSRF token.
  const anonymousToken = "b".repeat(43);
  const csrfToken = deployment.keys.csrf.tokenFor(anonymousToken);
  let offset = 0;
  return {
    ...meta,
    async measure() {
      const start = offset;
      const measurement = await measureLoad(
        {
          ...settings,
          targets: [deployment.instances[0]!.url],
          source: (index, origin) => {
            const n = start + index;
            offset = Math.max(offset, n + 1);
            const request = postForm("/login", origin, anonymousToken, csrfToken, { username: user.username, password: "not-the-password-42" });
            request.headers = { ...request.headers, "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
            return request;
          },
          expectedStatus: 401,
        },
        settings,
        deployment.instances[0]!,
      );
      return measurement;
    },
  };
}
