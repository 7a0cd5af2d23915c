/** Who owns which number on which gateway. Implemented on Redis in src/store. */
import { z } from "zod";

export const registrationSchema = z
  .object({
    /** Bare JID of the user. */
    jid: z.string().min(3),
    /** The user's number on the network (E.164 for SMS). */
    number: z.string().min(1),
    /** How the binding came to be. */
    source: z.enum(["config", "admin", "self-service"]),
    /** The user's own provider credentials (self-service registrations with an adapter that needs them). */
    credentials: z.record(z.string(), z.string()).readonly().optional(),
  })
  .strict();
export type Registration = Readonly<z.infer<typeof registrationSchema>>;

export interface RegistrationStore {
  byJid(gatewayId: string, jid: string): Promise<Registration | undefined>;
  byNumber(gatewayId: string, number: string): Promise<Registration | undefined>;
  /** Binds jid <-> number; throws NumberTakenError when another user holds the number. */
  put(gatewayId: string, registration: Registration): Promise<void>;
  remove(gatewayId: string, jid: string): Promise<boolean>;
  list(gatewayId: string): Promise<Registration[]>;
}

export class NumberTakenError extends Error {
  override readonly name = "NumberTakenError";
  constructor(
    readonly number: string,
    readonly owner: string,
  ) {
    super(`${number} already belongs to another user`);
  }
}
