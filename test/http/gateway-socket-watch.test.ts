// watchUpgradedSocket (src/web/gateway/socket-watch.ts) on its own: when it cuts a socket and when
// it stops asking. gateway-sockets.test.ts drives it through real WebSockets and sessions.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { watchUpgradedSocket } from "../../src/web/gateway/socket-watch.js";

const INTERVAL_MS = 10;

function closed(socket: PassThrough): Promise<void> {
  return new Promise((resolve) => socket.once("close", () => resolve()));
}

describe("watchUpgradedSocket", () => {
  it("keeps the socket while checks say yes, and destroys it at the first no", async () => {
    const socket = new PassThrough();
    const answers = [true, true, false];
    let checks = 0;
    watchUpgradedSocket(socket, async () => answers[checks++] ?? true, INTERVAL_MS, () => {});
    await closed(socket);
    expect(checks).toBe(3);
  });

  it("fails closed: a check that throws (the store is down) destroys the socket and is reported", async () => {
    const socket = new PassThrough();
    const reported: unknown[] = [];
    watchUpgradedSocket(socket, () => Promise.reject(new Error("database unavailable")), INTERVAL_MS, (error) => reported.push(error));
    await closed(socket);
    expect(reported).toEqual([new Error("database unavailable")]);
  });

  it("stops checking once the socket has closed on its own", async () => {
    const socket = new PassThrough();
    let checks = 0;
    watchUpgradedSocket(socket, async () => (checks++, true), INTERVAL_MS, () => {});
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    socket.destroy();
    await closed(socket);
    const atClose = checks;
    expect(atClose).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 5));
    expect(checks).toBe(atClose);
  });
});
