/** An in-memory RegistrationStore with the Redis store's rules (one address per user and vice versa). */
import {
  AddressTakenError,
  type Registration,
  type RegistrationStore,
} from "../../src/core/registrations.js";

export class MemoryRegistrationStore implements RegistrationStore {
  private readonly byUser = new Map<string, Registration>();

  private key(gatewayId: string, jid: string): string {
    return `${gatewayId}\u0000${jid}`;
  }

  async byJid(gatewayId: string, jid: string): Promise<Registration | undefined> {
    return this.byUser.get(this.key(gatewayId, jid));
  }

  async byAddress(gatewayId: string, number: string): Promise<Registration | undefined> {
    return (await this.list(gatewayId)).find((r) => r.address === number);
  }

  async put(gatewayId: string, registration: Registration): Promise<void> {
    const owner = await this.byAddress(gatewayId, registration.address);
    if (owner && owner.jid !== registration.jid) throw new AddressTakenError(registration.address, owner.jid);
    this.byUser.set(this.key(gatewayId, registration.jid), registration);
  }

  async remove(gatewayId: string, jid: string): Promise<boolean> {
    return this.byUser.delete(this.key(gatewayId, jid));
  }

  async list(gatewayId: string): Promise<Registration[]> {
    return [...this.byUser.entries()].filter(([k]) => k.startsWith(`${gatewayId}\u0000`)).map(([, r]) => r);
  }
}
