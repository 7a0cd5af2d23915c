/**
 * Loop addresses are email-like (`bob@example.com`); as JID localparts they are XEP-0106 escaped
 * (`bob\40example.com@loop.example.org`), with the core's escaping, which is stricter than most.
 */
import { AddressError } from "../../../src/core/errors.js";
import { escapeLocalpart, unescapeLocalpart } from "../../../src/core/localpart.js";

const ADDRESS = /^[a-z0-9._+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+$/;

/** A loop address in canonical (lower-case) form, or AddressError. */
export function checkLoopAddress(text: string): string {
  const address = text.trim().toLowerCase();
  if (!ADDRESS.test(address)) throw new AddressError(`"${text}" is not a loop address (name@domain)`);
  return address;
}

export const parseLoopLocalpart = (localpart: string): string =>
  checkLoopAddress(unescapeLocalpart(localpart));

export const formatLoopAddress = (address: string): string => escapeLocalpart(address);
