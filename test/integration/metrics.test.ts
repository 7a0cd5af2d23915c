/**
 * /metrics as Prometheus scrapes it, on the internal listener of a gateway running on a real
 * Prosody with a logged-in user: the series exist under the names the README and the Grafana
 * dashboard use, and they move when a message goes out and its delivery report comes back.
 * The public webhook listener serves no /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageVersion } from "../../src/version.js";
import { startTestGateway, type TestGateway } from "../harness/gateway.js";
import { waitFor } from "../harness/wait.js";
import { connectClient, type Element, type TestClient } from "../harness/xmpp-client.js";
import { startXmppServer, type XmppServer } from "../harness/xmpp-server.js";

const SECRET = "metrics-secret-4d2a";
const COMPONENT = "sms.localhost";
const UNREACHABLE = "+15550009999";

/** The value of one series (exact labels as Prometheus prints them), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics on the internal listener", () => {
  let server: XmppServer;
  let gw: TestGateway;
  let alice: TestClient;
  const scrape = async () => {
    const res = await fetch(`${gw.internalUrl}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    server = await startXmppServer("prosody", { components: [{ domain: COMPONENT, secret: SECRET }] });
    await server.register("alice", "alice-pw");
    gw = await startTestGateway({
      config: {
        xmpp: { service: server.componentService },
        allowedDomains: ["localhost"],
        gateways: [
          {
            id: "sms",
            domain: COMPONENT,
            secret: SECRET,
            adapter: "simulator",
            simulator: { replyDelayMs: 50, reply: "echo", unreachableNumbers: [UNREACHABLE] },
            users: [{ jid: "alice@localhost", number: "+15550001111" }],
          },
        ],
      },
    });
    await gw.online();
    alice = await connectClient({ server, username: "alice", password: "alice-pw" });
  }, 120_000);

  afterAll(async () => {
    await alice?.stop();
    await gw?.stop();
    await server?.stop();
  });

  it("keeps /metrics off the public webhook listener", async () => {
    expect((await fetch(`${gw.localUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${gw.internalUrl}/readyz`)).status).toBe(200);
  });

  it("names process metrics unprefixed and gives build info and connection state", async () => {
    const text = await scrape();
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(text).not.toMatch(/^xgw_process_|^xgw_nodejs_/m);
    expect(sample(text, `xgw_build_info{version="${packageVersion()}",node="${process.version}"}`)).toBe(1);
    expect(sample(text, 'xgw_xmpp_online{gateway="sms"}')).toBe(1);
    // Exported from the start, before the intake was ever behind.
    expect(sample(text, "xgw_outbound_intake_behind_seconds_total")).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'xgw_queue_jobs{queue="outbound-sms",state="waiting"}')).toBe(0);
    expect(sample(text, 'xgw_queue_jobs{queue="to-xmpp-sms",state="failed"}')).toBe(0);
  });

  it("moves the counters and histograms when a message goes out and is reported delivered", async () => {
    const before = await scrape();
    const sends = (t: string) =>
      sample(t, 'xgw_provider_send_duration_seconds_count{gateway="sms",outcome="accepted"}') ?? 0;
    const reports = (t: string) =>
      sample(t, 'xgw_delivery_report_delay_seconds_count{gateway="sms",status="delivered"}') ?? 0;
    const completed = (t: string) => sample(t, 'xgw_queue_jobs{queue="outbound-sms",state="completed"}') ?? 0;
    const intakes = (t: string) => sample(t, 'xgw_outbound_intake_seconds_count{gateway="sms"}') ?? 0;

    await alice.sendMessage(`+15557654321@${COMPONENT}`, "count me");
    await alice.waitFor(
      (el: Element) => el.is("message") && el.getChildText("body") === "echo: count me",
      15_000,
    );
    const after = await waitFor(
      async () => {
        const t = await scrape();
        return reports(t) > reports(before) && completed(t) > completed(before) ? t : undefined;
      },
      { timeoutMs: 15_000, description: "the delivery report and the completed job to show in /metrics" },
    );
    expect(sends(after)).toBe(sends(before) + 1);
    // The stanza's read to its job in Redis: one observation, and it took some time.
    expect(intakes(after)).toBe(intakes(before) + 1);
    expect(sample(after, 'xgw_outbound_intake_seconds_sum{gateway="sms"}')).toBeGreaterThan(
      sample(before, 'xgw_outbound_intake_seconds_sum{gateway="sms"}') ?? 0,
    );
    expect(
      sample(after, 'xgw_provider_send_duration_seconds_sum{gateway="sms",outcome="accepted"}'),
    ).toBeGreaterThan(0);
    expect(
      sample(after, 'xgw_delivery_report_delay_seconds_bucket{le="+Inf",gateway="sms",status="delivered"}'),
    ).toBe(reports(after));
    expect(sample(after, 'xgw_outbound_messages_total{gateway="sms",outcome="sent"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(after, 'xgw_inbound_messages_total{gateway="sms",outcome="delivered"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it("logs a failed delivery report at warn level for the operator, and times it", async () => {
    const reports = (t: string) =>
      sample(t, 'xgw_delivery_report_delay_seconds_count{gateway="sms",status="failed"}') ?? 0;
    const before = reports(await scrape());
    const id = await alice.sendMessage(`${UNREACHABLE}@${COMPONENT}`, "are you there?");
    await alice.waitFor(
      (el: Element) => el.is("message") && el.attrs.type === "error" && el.attrs.id === id,
      15_000,
    );
    const warn = gw.logLines
      .map((l) => JSON.parse(l) as { level: number; msg: string; sender?: string; errorCode?: string })
      .find((l) => l.msg.startsWith("delivery failed"));
    expect(warn).toMatchObject({
      level: 40,
      msg: "delivery failed (30003): Simulator error 30003: unreachable destination handset",
      sender: alice.jid,
      errorCode: "30003",
    });
    expect(reports(await scrape())).toBe(before + 1);
  });
});
