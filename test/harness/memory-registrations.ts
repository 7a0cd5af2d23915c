/** An in-memory RegistrationStore with the Redis store's rules (one number per user and vice versa). */
import { NumberTakenError, type Registration, type RegistrationStore } from "../../src/core/registrations.js";

export class MemoryRegistrationStore implements RegistrationStore {
  private readonly byUser = new Map<string, Registration>();

  private key(gatewayId: string, jid: string): string {
    return `${gatewayId}\u0000${jid}`;
  }

  async byJid(gatewayId: string, jid: string): Promise<Registration | undefined> {
    return this.byUser.get(this.key(gatewayId, jid));
  }

  async byNumber(gatewayId: string, number: string): Promise<Registration | undefined> {
    return (await this.list(gatewayId)).find((r) => r.number === number);
  }

  async put(gatewayId: string, registration: Registration): Promise<void> {
    const owner = await this.byNumber(gatewayId, registration.number);
    if (owner && owner.jid !== registration.jid) throw new NumberTakenError(registration.number, owner.jid);
    this.byUser.set(this.key(gatewayId, registration.jid), registration);
  }

  async remove(gatewayId: string, jid: string): Promise<boolean> {
    return this.byUser.delete(this.key(gatewayId, jid));
  }

  async list(gatewayId: string): Promise<Registration[]> {
    return [...this.byUser.entries()].filter(([k]) => k.startsWith(`${gatewayId}\u0000`)).map(([, r]) => r);
  }
}
