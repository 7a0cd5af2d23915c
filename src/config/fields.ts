/** Field validators shared by the configuration schema: addresses, ports, JIDs, numbers. */
import { getCountries } from "libphonenumber-js/max";
import { z } from "zod";

/** The port at the end of host:port or a URL authority, or undefined. */
function portOf(text: string): number | undefined {
  const m = /:(\d+)\/?$/.exec(text);
  return m ? Number(m[1]) : undefined;
}
export const portInRange = (text: string) => {
  const port = portOf(text);
  return port === undefined || (port >= 1 && port <= 65535);
};
export const portRangeError = { error: "the port must be between 1 and 65535" };

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:8080")
  .refine(portInRange, portRangeError);

export const regions: ReadonlySet<string> = new Set(getCountries());

export const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, {
    message: "must be a lower-case domain name, e.g. sms.example.org",
  });

export const bareJid = z
  .string()
  .regex(/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/, "must be a bare JID, e.g. alice@example.org");
