/** bench/lib/table-zero.ts: reading table 0 out of the bench's output, and the comparison table. */
import { describe, expect, it } from "vitest";
import { comparisonTable, medianRange, parseTableZero } from "../../bench/lib/table-zero.js";

const output = (rate: string, gw: string) => `xmpp-gateway benchmark
  .. outbound, distinct numbers, warm

0. Distinct numbers: one client, 1,000 in flight, 20,000 messages to as many numbers;
| workload | msg/s | echo ceiling | ratio | p99 ms | gw CPU ms/msg | redis CPU ms/msg | redis commands/msg | non-200 |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| outbound, warm | ${rate} | 10,160 | 0.27 | | ${gw} | 0.088 | 24.3 | |
| inbound, warm | 4,213 | | | 76.6 | 0.162 | 0.028 | 4.0 | 0 |

1. Throughput
| rate | something else |
`;

describe("table 0 of the bench", () => {
  it("reads each workload's figures, thousands separators and empty cells included", () => {
    const t = parseTableZero(output("2,746", "0.297"));
    expect([...t.keys()]).toEqual(["outbound, warm", "inbound, warm"]);
    expect(Object.fromEntries(t.get("outbound, warm") ?? [])).toEqual({
      "msg/s": 2746,
      ratio: 0.27,
      "gw CPU ms/msg": 0.297,
      "redis CPU ms/msg": 0.088,
      "redis commands/msg": 24.3,
    });
    expect(t.get("inbound, warm")?.get("p99 ms")).toBe(76.6);
    expect(parseTableZero("no table here").size).toBe(0);
  });

  it("gives each build's median and range, one row per workload and figure", () => {
    expect(medianRange([3, 1, 2], 0)).toBe("2 [1–3]");
    expect(medianRange([0.25, 0.27, 0.3, 0.26], 3)).toBe("0.265 [0.250–0.300]");
    const table = comparisonTable([
      {
        name: "a",
        runs: [parseTableZero(output("2,000", "0.300")), parseTableZero(output("2,200", "0.320"))],
      },
      { name: "b", runs: [parseTableZero(output("3,100", "0.250"))] },
    ]);
    expect(table).toContain("| outbound, warm, msg/s | 2,100 [2,000–2,200] | 3,100 [3,100–3,100] |");
    expect(table).toContain("| outbound, warm, gw CPU ms/msg | 0.310 [0.300–0.320] | 0.250 [0.250–0.250] |");
    expect(table.split("\n")[0]).toBe("| workload, figure | a | b |");
  });
});
