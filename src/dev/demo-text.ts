/**
 * `xmpp-gateway demo text <from> <body>`: a simulated phone texts the demo user first. It posts
 * to the running demo's simulator webhook (address and token in <dir>/demo.json, mode 0600).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { die, printable } from "../cli/output.js";
import { EXIT } from "../core/startup-error.js";

export const demoInfoSchema = z.object({
  url: z.url(),
  gateway: z.string(),
  token: z.string(),
  user: z.string(),
  number: z.string(),
});
export type DemoInfo = z.infer<typeof demoInfoSchema>;

export const DEMO_INFO_FILE = "demo.json";

async function readInfo(dir: string): Promise<DemoInfo> {
  const file = join(resolve(dir), DEMO_INFO_FILE);
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch {
    die(
      `no demo in ${resolve(dir)} (start one with \`xmpp-gateway demo\`, or give its --dir)`,
      EXIT.unavailable,
    );
  }
  const parsed = demoInfoSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) die(`${file} is not a demo's file`, EXIT.config);
  return parsed.data;
}

export async function demoText(o: { dir: string; from: string; body: string }): Promise<void> {
  const info = await readInfo(o.dir);
  let res: Response;
  try {
    res = await fetch(`${info.url}/webhooks/${info.gateway}/text`, {
      method: "POST",
      headers: { authorization: `Bearer ${info.token}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ From: o.from, To: info.number, Body: o.body }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    die(
      `the demo in ${resolve(o.dir)} is not running (start it with \`xmpp-gateway demo\`)`,
      EXIT.unavailable,
    );
  }
  const answer = (await res.text()).trim();
  if (!res.ok) die(`the demo did not take the text (HTTP ${res.status}: ${answer})`, 1);
  process.stdout.write(`${printable(o.from)} texted ${info.user}: ${printable(o.body)}\n`);
}
