/**
 * A Twilio-compatible sink for benchmarks: answers POST .../Messages.json like the Messages API
 * (201 and a Message resource) at once, and records when each message arrived. Bodies carry
 * "#<seq>" so the driver can match arrivals to sends (same process, same clock).
 */

import { randomBytes } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface Sink {
  readonly url: string;
  /** seq -> arrival time (performance.now()). */
  readonly arrivals: Map<number, number>;
  /** Requests received (including repeats). */
  count: number;
  /** Called after each arrival (a driver keeping a window of messages in flight waits on it). */
  onArrival?: () => void;
  reset(): void;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const arrivals = new Map<number, number>();
  const sink: Sink = {
    url: "",
    arrivals,
    count: 0,
    reset() {
      arrivals.clear();
      sink.count = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const body = form.get("Body") ?? "";
      const m = /#(\d+)/.exec(body);
      if (m?.[1]) arrivals.set(Number(m[1]), performance.now());
      sink.count++;
      sink.onArrival?.();
      const sid = `SM${randomBytes(16).toString("hex")}`;
      res.writeHead(201, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          sid,
          account_sid: req.url?.split("/")[3] ?? "",
          to: form.get("To"),
          from: form.get("From"),
          body,
          status: "queued",
          num_segments: "1",
          direction: "outbound-api",
          api_version: "2010-04-01",
          date_created: new Date().toUTCString(),
          uri: `/2010-04-01/Accounts/x/Messages/${sid}.json`,
        }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  (sink as { url: string }).url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return sink;
}
