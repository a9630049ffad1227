// The semaphore that keeps Argon2 from taking every core: at most `limit` tasks run, the rest
// start in arrival order, and a failing task frees its slot like a succeeding one.
import { describe, expect, it } from "vitest";
import { concurrencyLimit } from "../../src/core/concurrency.js";

/** A task the test settles by hand, recording when it started. */
function controlled(started: string[], name: string) {
  let settle!: { resolve: (value: string) => void; reject: (error: Error) => void };
  const promise = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  return {
    task: () => {
      started.push(name);
      return promise;
    },
    settle,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("concurrencyLimit", () => {
  it("runs at most `limit` tasks at once and starts the rest in arrival order", async () => {
    const run = concurrencyLimit(2);
    const started: string[] = [];
    const tasks = ["a", "b", "c", "d"].map((name) => controlled(started, name));
    // Settled-watching from the start: task a's rejection is an expected outcome, not an unhandled one.
    const results = Promise.allSettled(tasks.map((t) => run(t.task)));
    await tick();
    expect(started).toEqual(["a", "b"]);

    tasks[1]!.settle.resolve("b done");
    await tick();
    expect(started).toEqual(["a", "b", "c"]);

    tasks[0]!.settle.reject(new Error("a failed"));
    await tick();
    expect(started).toEqual(["a", "b", "c", "d"]);

    tasks[2]!.settle.resolve("c done");
    tasks[3]!.settle.resolve("d done");
    const settled = await results;
    expect(settled.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "a failed",
      "b done",
      "c done",
      "d done",
    ]);
  });

  it("lets a newcomer wait behind the queue rather than take a freed slot first", async () => {
    const run = concurrencyLimit(1);
    const started: string[] = [];
    const [first, queued, late] = ["first", "queued", "late"].map((name) => controlled(started, name));
    void run(first!.task);
    void run(queued!.task);
    first!.settle.resolve("");
    void run(late!.task);
    await tick();
    expect(started).toEqual(["first", "queued"]);
    queued!.settle.resolve("");
    await tick();
    expect(started).toEqual(["first", "queued", "late"]);
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => concurrencyLimit(limit)).toThrow(TypeError);
  });
});
