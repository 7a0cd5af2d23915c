/**
 * How `check-config` checks the addresses config users are bound to, per adapter kind: the core
 * knows no network's addresses, so the composition root (main.ts) registers each adapter's check
 * here and the config's cross-checks ask it. A kind without a check is not checked beyond its shape.
 */

/** Why `address` is not one the gateway would accept (e.g. "write it as +15550001111"), or undefined. */
export type ConfigAddressCheck = (
  address: string,
  gateway: { readonly numberCheck: "possible" | "valid" },
) => string | undefined;

const checks = new Map<string, ConfigAddressCheck>();

export function registerAddressCheck(kind: string, check: ConfigAddressCheck): void {
  checks.set(kind, check);
}

export function addressCheckOf(kind: string): ConfigAddressCheck | undefined {
  return checks.get(kind);
}
