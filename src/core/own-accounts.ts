/**
 * Sending with the user's own provider account: a self-service registration may carry the
 * user's credentials (Registration.credentials). A message remembers, from the moment it was
 * accepted, which account it was accepted for (`AcceptedAccount`, written into its job): the
 * gateway's own, or the sender's own account (named by the adapter's `accountOf`). At send time
 * the account is looked up again: a message accepted for a user's own account is sent with it or
 * not at all, never with the operator's account (she may have unregistered, or registered another
 * account, while it waited in the queue).
 */
import type { Account, RegistrationSpec } from "./adapter.js";
import { Refusal } from "./errors.js";
import type { Registration, RegistrationStore } from "./registrations.js";

/** Which account a message was accepted for. `id`: the adapter's name of the user's account. */
export type AcceptedAccount =
  | { readonly kind: "gateway" }
  | { readonly kind: "self-service"; readonly id: string };

/** What a queued message says about its sender (the fields of the outbound job). */
export interface AccountClaim {
  readonly from: string;
  readonly senderBare: string;
  /** Absent on jobs accepted by versions that did not record it. */
  readonly account?: AcceptedAccount;
}

/** The account to send with, and its name when it is a user's own (for the message map). */
export interface ResolvedAccount {
  readonly account: Account;
  readonly id?: string;
}

export type AccountResolver = (claim: AccountClaim) => Promise<ResolvedAccount>;

export const NO_LONGER_REGISTERED = "You are no longer registered on this gateway; the message was not sent.";

type AccountOf = RegistrationSpec["accountOf"];

/** Which account a message of `registration` is accepted for. */
export function acceptedAccount(registration: Registration, accountOf: AccountOf): AcceptedAccount {
  const { credentials } = registration;
  return credentials ? { kind: "self-service", id: accountOf?.(credentials) ?? "" } : { kind: "gateway" };
}

/** The name of the user's own account a message was accepted for; undefined for the gateway's. */
export function accountName(account: AcceptedAccount): string | undefined {
  return account.kind === "self-service" ? account.id : undefined;
}

/** `resolve(claim)`, asked once however often it is wanted (the parts of a job share it). */
export function resolveOnce(resolve: AccountResolver, claim: AccountClaim): () => Promise<ResolvedAccount> {
  let resolved: Promise<ResolvedAccount> | undefined;
  return () => {
    resolved ??= resolve(claim);
    return resolved;
  };
}

/** Every message on the gateway's own account (operator-provisioned gateways). */
export const gatewayAccounts: AccountResolver = async (claim) => ({ account: { number: claim.from } });

/**
 * Self-service gateways: the sender's registration is looked up when the message is sent. Throws
 * a Refusal (registration-required) when a message accepted for the sender's own account finds
 * her unregistered, on another number, or registered with another account.
 */
export function ownAccounts(
  registrations: Pick<RegistrationStore, "byJid" | "byAddress">,
  gatewayId: string,
  accountOf: AccountOf,
): AccountResolver {
  return async (claim) => {
    const number = claim.from;
    if (claim.account === undefined) {
      // Accepted before jobs named their account: as those versions did, by the number's owner.
      const owner = await registrations.byAddress(gatewayId, number);
      if (!owner?.credentials) return { account: { number } };
      return {
        account: { number, credentials: owner.credentials },
        id: accountOf?.(owner.credentials) ?? "",
      };
    }
    if (claim.account.kind === "gateway") return { account: { number } };
    const current = await registrations.byJid(gatewayId, claim.senderBare);
    const credentials = current?.address === number ? current.credentials : undefined;
    if (!credentials || (accountOf?.(credentials) ?? "") !== claim.account.id) {
      throw new Refusal("registration-required", NO_LONGER_REGISTERED);
    }
    return { account: { number, credentials }, id: claim.account.id };
  };
}
