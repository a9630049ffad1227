// Interleaved rounds over every HTTP case (order shuffled each round, the same way every run):
// the baseline is measured in each round, so each case's ratio pairs it with a baseline sample
// taken minutes, not a quarter of an hour, away on this shared machine.
import { mulberry32, shuffle } from "../harness.js";
import type { Measurement, Scenario } from "./scenarios.js";

export type Samples = Map<string, Measurement[]>;

export async function runRounds(scenarios: readonly Scenario[], rounds: number, log: (line: string) => void): Promise<Samples> {
  const samples: Samples = new Map(scenarios.map((s) => [s.id, []]));
  const nextRandom = mulberry32(0x5eed);
  for (let round = 0; round < rounds; round++) {
    for (const scenario of shuffle([...scenarios], nextRandom)) {
      const m = await scenario.measure();
      samples.get(scenario.id)!.push(m);
      log(
        `round ${round + 1}/${rounds} ${scenario.id}: ${Math.round(m.rps)} req/s, p99 ${m.p99Ms} ms` +
          (m.unexpected > 0 ? `, ${m.unexpected} unexpected (${JSON.stringify(m.statuses)})` : "") +
          (m.note ? ` (${m.note})` : ""),
      );
    }
  }
  return samples;
}
