/**
 * The users of the config file (`gateways[].users`) as registrations: bound at start and on
 * SIGHUP; a user taken out of the file loses the binding the file gave (never one an admin or
 * the user made).
 */
import type { Logger } from "./logger.js";
import type { RegistrationStore } from "./registrations.js";

export interface ConfigUsersOfGateway {
  readonly id: string;
  readonly users: readonly { readonly jid: string; readonly address: string }[];
}

export async function syncConfigUsers(
  registrations: RegistrationStore,
  gateways: readonly ConfigUsersOfGateway[],
  logger: Logger,
): Promise<{ bound: number; unbound: number }> {
  let bound = 0;
  let unbound = 0;
  for (const g of gateways) {
    const wanted = new Map(g.users.map((u) => [u.jid, u.address]));
    for (const r of await registrations.list(g.id)) {
      if (
        r.source === "config" &&
        wanted.get(r.jid) !== r.address &&
        (await registrations.remove(g.id, r.jid))
      ) {
        unbound++;
      }
    }
    for (const u of g.users) {
      const current = await registrations.byJid(g.id, u.jid);
      if (current?.source === "config" && current.address === u.address) continue;
      try {
        await registrations.put(g.id, { jid: u.jid, address: u.address, source: "config" });
        bound++;
      } catch (err) {
        logger.error({ gateway: g.id, jid: u.jid, reason: (err as Error).message }, "config user not seeded");
      }
    }
  }
  return { bound, unbound };
}
