// The one classifier of "the database is down" (src/store/unavailable.ts): driver outages become
// STORE_UNAVAILABLE (→ 503), while answers such as a unique violation or a syntax error do not.
import { describe, expect, it } from "vitest";
import { ErrorCode, isGatehouseError } from "../../src/core/errors.js";
import { isDatabaseOutage, storeUnavailable } from "../../src/store/unavailable.js";

function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe("isDatabaseOutage", () => {
  it.each([
    ["SQLite busy", driverError("database is locked", "SQLITE_BUSY")],
    ["SQLite extended I/O error", driverError("disk I/O error", "SQLITE_IOERR_WRITE")],
    ["SQLite cannot open", driverError("unable to open database file", "SQLITE_CANTOPEN")],
    ["SQLite read-only", driverError("attempt to write a readonly database", "SQLITE_READONLY_DBMOVED")],
    ["PostgreSQL admin shutdown", driverError("terminating connection due to administrator command", "57P01")],
    ["PostgreSQL connection exception", driverError("connection failure", "08006")],
    ["PostgreSQL too many connections", driverError("sorry, too many clients already", "53300")],
    ["connection refused", driverError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["pg dropped connection", driverError("Connection terminated unexpectedly")],
    ["pg pool timeout", driverError("timeout exceeded when trying to connect")],
  ])("recognises %s", (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });

  it.each([
    ["SQLite unique violation", driverError("UNIQUE constraint failed", "SQLITE_CONSTRAINT_UNIQUE")],
    ["PostgreSQL unique violation", driverError("duplicate key value", "23505")],
    ["PostgreSQL syntax error", driverError("syntax error at or near", "42601")],
    ["a plain bug", new TypeError("cannot read properties of undefined")],
    ["not an error", "SQLITE_BUSY"],
  ])("leaves %s alone", (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
  });
});

describe("storeUnavailable", () => {
  it("is a STORE_UNAVAILABLE GatehouseError carrying the driver's error as its cause", () => {
    const cause = driverError("database is locked", "SQLITE_BUSY");
    const error = storeUnavailable(cause);
    expect(isGatehouseError(error) && error.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("the database is unavailable: database is locked (SQLITE_BUSY)");
  });
});
