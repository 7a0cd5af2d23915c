/**
 * The template's conformance descriptor: fill in each hook for the network's stand-in, then add
 * `templateConformance` to the list in test/conformance/adapters.ts (see adapters/README.md,
 * "Tests"). Until then it is not in that list: it would fail every check.
 */
import type { ConformanceAdapter } from "../../../test/conformance/descriptor.js";
import { NotImplementedError } from "../index.js";

export const templateConformance: ConformanceAdapter = {
  name: "template",
  available: () => true,
  // Checks the network has no use for, each with its reason, e.g. media: "text only".
  notApplicable: {},
  async start() {
    throw new NotImplementedError(
      "start: start the provider's stand-in on a free port and return the RunningStandIn hooks (gateway block, owner, contact, attempts, permanentError, retryableError, postInbound, postUnsigned, reportDelivered, failure, registration, addresses, stop)",
    );
  },
};
