/**
 * Sending with the user's own provider account: a self-service registration may carry the
 * user's credentials (Registration.credentials). This wraps an adapter so that `send` gets the
 * Account of the sender's registration (found by the sending number, which one user owns),
 * leaving operator-provisioned numbers on the gateway's own account.
 */
import type { Account, NetworkAdapter } from "./adapter.js";
import type { RegistrationStore } from "./registrations.js";

export function withOwnAccounts(
  adapter: NetworkAdapter,
  registrations: Pick<RegistrationStore, "byNumber">,
  gatewayId: string,
): NetworkAdapter {
  return {
    kind: adapter.kind,
    capabilities: adapter.capabilities,
    parseAddress: (localpart) => adapter.parseAddress(localpart),
    formatAddress: (address) => adapter.formatAddress(address),
    async send(msg, account) {
      let full: Account = account;
      if (!account.credentials) {
        const owner = await registrations.byNumber(gatewayId, account.number);
        if (owner?.credentials) full = { ...account, credentials: owner.credentials };
      }
      return adapter.send(msg, full);
    },
    webhooks: adapter.webhooks,
    registration: adapter.registration,
    close: adapter.close ? () => adapter.close?.() ?? Promise.resolve() : undefined,
  };
}
