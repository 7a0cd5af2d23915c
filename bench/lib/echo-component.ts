/**
 * The baseline: a minimal XEP-0114 echo component. Every message with a body is sent straight
 * back to its sender. Run as its own process: node --import tsx bench/lib/echo-component.ts
 * <service> <domain> <secret>; prints "online" when connected.
 */
import { component, xml } from "@xmpp/component";

const [service = "", domain = "", secret = ""] = process.argv.slice(2);
const c = component({ service, domain, password: secret });
c.on("error", (err) => process.stderr.write(`echo: ${err.message}\n`));
c.on("stanza", (el) => {
  if (el.name !== "message" || el.attrs.type === "error") return;
  const body = el.getChildText("body");
  if (body === null) return;
  void c.send(xml("message", { to: el.attrs.from, from: el.attrs.to, type: "chat" }, xml("body", {}, body)));
});
c.on("online", () => process.stdout.write("online\n"));
process.on("SIGTERM", () => {
  c.stop().finally(() => process.exit(0));
});
// A failed first attempt is retried by the library's reconnect (every second).
c.start().catch(() => {});
