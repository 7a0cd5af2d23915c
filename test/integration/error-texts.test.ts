/**
 * Error texts sent to users name no internal address: the real Twilio adapter and outbound worker
 * against a "provider" that refuses connections or never answers. The sender's error stanza (the
 * to-xmpp error job) gives a generic reason; the operator's log has the full one.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTwilioAdapter } from "../../adapters/twilio/index.js";
import { errorJobId } from "../../src/core/pipeline/jobs.js";
import { freePort } from "../harness/ports.js";
import { silentLogger } from "../harness/silent-logger.js";
import { waitFor } from "../harness/wait.js";
import { startWorkerRig, type WorkerRig } from "../harness/worker-rig.js";

const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;

function twilioAt(apiBaseUrl: string) {
  return createTwilioAdapter(
    {
      gatewayId: "sms",
      numberCheck: "possible",
      twilio: { accountSid: ACCOUNT_SID, authToken: "error-texts-token", apiBaseUrl, requestTimeoutMs: 300 },
    },
    { logger: silentLogger, emit: async () => {} },
  );
}

/** The text of the error stanza queued for the sender of job `id`. */
async function senderText(rig: WorkerRig, id: string): Promise<string> {
  const job = await waitFor(async () => rig.toXmpp.getJob(errorJobId(id)), {
    timeoutMs: 20_000,
    description: "the sender's error stanza",
  });
  return String(job.data.text);
}

const ADDRESS = /\b\d{1,3}(\.\d{1,3}){3}\b|\[[0-9a-f:]+\]|localhost|ECONN|ENOTFOUND|getaddrinfo|UND_ERR/i;

describe("error texts for senders name no internal address", () => {
  let rig: WorkerRig | undefined;
  let silent: net.Server | undefined;
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    silent = undefined;
  });

  it("a provider that refuses connections: 'could not be reached', no host or port", async () => {
    const port = await freePort();
    rig = await startWorkerRig({
      name: "err-refused",
      adapter: twilioAt(`http://127.0.0.1:${port}`),
      attempts: 1,
    });
    const id = await rig.send("refused-1");
    const text = await senderText(rig, id);
    expect(text).toMatch(/could not be reached/);
    expect(text).not.toMatch(ADDRESS);
    expect(text).not.toContain(String(port));
    // The operator still gets the whole reason.
    expect(rig.logLines.join("\n")).toMatch(new RegExp(`ECONNREFUSED|127\\.0\\.0\\.1:${port}`));
  });

  it("a provider that never answers: 'did not answer in time', no host or port", async () => {
    const sockets: net.Socket[] = [];
    silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent?.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    silent.on("close", () => {
      for (const s of sockets) s.destroy();
    });
    rig = await startWorkerRig({
      name: "err-silent",
      adapter: twilioAt(`http://127.0.0.1:${port}`),
      attempts: 1,
    });
    const id = await rig.send("silent-1");
    const text = await senderText(rig, id);
    for (const s of sockets) s.destroy();
    expect(text).toMatch(/did not answer in time/);
    expect(text).not.toMatch(ADDRESS);
    expect(text).not.toContain(String(port));
  });
});
