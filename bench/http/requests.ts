// The requests a browser sends on each measured path, built from seeded accounts: the session
// cookie, the synchronizer CSRF token (src/web/csrf.ts) and a same-origin Origin header.
import type { BenchRequest } from "./load.js";
import type { SeededAccount } from "./seed.js";

/** The session cookie's name without GATEHOUSE_PUBLIC_URL (src/web/cookies.ts). */
const SESSION_COOKIE = "gatehouse_session";

export function get(path: string, sessionToken?: string): BenchRequest {
  return { method: "GET", path, headers: sessionToken ? { cookie: `${SESSION_COOKIE}=${sessionToken}` } : {} };
}

/** A form POST as a browser on `origin` sends it, with the CSRF token of `cookieToken`. */
export function postForm(path: string, origin: string, cookieToken: string, csrfToken: string, fields: Record<string, string>): BenchRequest {
  return {
    method: "POST",
    path,
    headers: {
      cookie: `${SESSION_COOKIE}=${cookieToken}`,
      origin,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ ...fields, _csrf: csrfToken }).toString(),
  };
}

export function postCode(account: SeededAccount, origin: string, otp: string): BenchRequest {
  return postForm("/2fa", origin, account.sessionToken, account.csrfToken, { otp });
}
