/** Who owns which network address (a phone number for SMS) on which gateway. Implemented on Redis in src/store. */
import { z } from "zod";

export const registrationSchema = z
  .object({
    /** Bare JID of the user. */
    jid: z.string().min(3),
    /** The user's address on the network (an E.164 number for SMS). */
    address: z.string().min(1),
    /** How the binding came to be. */
    source: z.enum(["config", "admin", "self-service"]),
    /** The user's own provider credentials (self-service registrations with an adapter that needs them). */
    credentials: z.record(z.string(), z.string()).readonly().optional(),
  })
  .strict();
export type Registration = Readonly<z.infer<typeof registrationSchema>>;

export interface RegistrationStore {
  byJid(gatewayId: string, jid: string): Promise<Registration | undefined>;
  byAddress(gatewayId: string, address: string): Promise<Registration | undefined>;
  /** Binds jid <-> address; throws AddressTakenError when another user holds the address. */
  put(gatewayId: string, registration: Registration): Promise<void>;
  remove(gatewayId: string, jid: string): Promise<boolean>;
  list(gatewayId: string): Promise<Registration[]>;
}

export class AddressTakenError extends Error {
  override readonly name = "AddressTakenError";
  constructor(
    readonly address: string,
    readonly owner: string,
  ) {
    super(`${address} already belongs to another user`);
  }
}
