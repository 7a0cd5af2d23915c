/** Who owns which number on which gateway. Implemented on Redis in src/store. */
export interface Registration {
  /** Bare JID of the user. */
  readonly jid: string;
  /** The user's number on the network (E.164 for SMS). */
  readonly number: string;
  /** How the binding came to be. */
  readonly source: "config" | "admin" | "self-service";
  /** The user's own provider credentials (self-service registrations with an adapter that needs them). */
  readonly credentials?: Readonly<Record<string, string>>;
}

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
