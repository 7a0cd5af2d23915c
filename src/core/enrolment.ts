/**
 * Binding a user to a number: the rules shared by XEP-0077 registration and the ad-hoc commands.
 * Self-service registrations are checked with the provider (the adapter's RegistrationSpec) before
 * anything is stored; admins bind without a check. One number per user, one user per number.
 */
import { z } from "zod";
import type { NetworkAdapter, NetworkFace, RegistrationField, VerifiedAccount } from "./adapter.js";
import { AddressError, Refusal } from "./errors.js";
import { type RegistrationChecks, takeRegistrationCheck } from "./rate-limits.js";
import { AddressTakenError, type Registration, type RegistrationStore } from "./registrations.js";

export type RegistrationMode = "provisioned" | "self-service";

export interface EnrolmentContext {
  readonly gatewayId: string;
  readonly adapter: Pick<NetworkAdapter, "face" | "parseAddress" | "registration">;
  readonly registrations: RegistrationStore;
  readonly mode: RegistrationMode;
  /** Limits how often one user may have a registration checked (each check calls the provider). */
  readonly registrationChecks?: RegistrationChecks;
}

/** The address field of the face's network, as a sentence reads it ("Phone number" -> "phone number"). */
export function addressNoun(face: NetworkFace): string {
  return face.addressLabel.charAt(0).toLowerCase() + face.addressLabel.slice(1);
}

/** "a phone number", "an email address". */
export function anAddress(face: NetworkFace): string {
  const noun = addressNoun(face);
  return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** The fields a user fills in to register (the address first). */
export function registrationFields(ctx: EnrolmentContext): readonly RegistrationField[] {
  const { face } = ctx.adapter;
  return (
    ctx.adapter.registration?.fields ?? [
      {
        name: "number",
        label: `Your ${addressNoun(face)}`,
        kind: "text",
        ...(face.ownAddressHint === undefined ? {} : { description: face.ownAddressHint }),
      },
    ]
  );
}

export function registrationInstructions(ctx: EnrolmentContext): string {
  if (ctx.mode === "provisioned") {
    return `The operator of this gateway assigns each user's ${addressNoun(ctx.adapter.face)}: ask an administrator to bind one to your account.`;
  }
  return (
    ctx.adapter.registration?.instructions ??
    `Enter the ${addressNoun(ctx.adapter.face)} you send from and receive on.`
  );
}

const valueSchema = z.string().trim().min(1).max(300);

/** Checks the submitted values (every field required) and returns them trimmed. */
export function checkValues(
  fields: readonly RegistrationField[],
  values: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const f of fields) {
    const parsed = valueSchema.safeParse(values[f.name]);
    if (parsed.success) out[f.name] = parsed.data;
    else missing.push(f.label);
  }
  if (missing.length > 0) throw new Refusal("bad-request", `Please fill in: ${missing.join(", ")}.`);
  return out;
}

/** A self-service registration: checked with the provider, then stored. */
export async function selfRegister(
  ctx: EnrolmentContext,
  jid: string,
  values: Readonly<Record<string, unknown>>,
): Promise<Registration> {
  if (ctx.mode !== "self-service") {
    throw new Refusal("not-allowed", registrationInstructions(ctx));
  }
  const checked = checkValues(registrationFields(ctx), values);
  // Before anything reaches the provider: 200 guesses must not make 200 provider API calls.
  if (ctx.registrationChecks) await takeRegistrationCheck(ctx.registrationChecks, ctx.gatewayId, jid);
  let account: VerifiedAccount;
  if (ctx.adapter.registration) {
    account = await ctx.adapter.registration.verify(checked);
  } else {
    account = { number: parseAddress(ctx, checked.number ?? "") };
  }
  const registration: Registration = {
    jid,
    address: account.number,
    source: "self-service",
    ...(account.credentials ? { credentials: account.credentials } : {}),
  };
  await store(ctx, registration);
  return registration;
}

/** An admin binds `jid` to `address` (no provider check: the operator's own account sends). */
export async function adminBind(ctx: EnrolmentContext, jid: string, address: string): Promise<Registration> {
  const registration: Registration = { jid, address: parseAddress(ctx, address), source: "admin" };
  await store(ctx, registration);
  return registration;
}

/**
 * Removes the user's own binding. In provisioned mode users cannot drop a number the operator
 * gave them (an admin can).
 */
export async function selfUnregister(ctx: EnrolmentContext, jid: string): Promise<Registration> {
  const current = await ctx.registrations.byJid(ctx.gatewayId, jid);
  if (!current) {
    throw new Refusal("item-not-found", `${jid} has no ${addressNoun(ctx.adapter.face)} on this gateway.`);
  }
  if (current.source !== "self-service" && ctx.mode === "provisioned") {
    throw new Refusal(
      "not-allowed",
      `${current.address} was bound by the operator; ask an administrator to remove it.`,
    );
  }
  await ctx.registrations.remove(ctx.gatewayId, jid);
  return current;
}

function parseAddress(ctx: EnrolmentContext, text: string): string {
  try {
    return ctx.adapter.parseAddress(text);
  } catch (err) {
    if (err instanceof AddressError) throw new Refusal("bad-request", err.message);
    throw err;
  }
}

async function store(ctx: EnrolmentContext, registration: Registration): Promise<void> {
  try {
    await ctx.registrations.put(ctx.gatewayId, registration);
  } catch (err) {
    if (err instanceof AddressTakenError) {
      // XEP-0077 section 3.1.1: a username already taken by another entity is a <conflict/>.
      throw new Refusal("conflict", `${err.address} is already registered by another user.`);
    }
    throw err;
  }
}
