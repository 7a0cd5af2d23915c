/** Redis key naming (core/key-names.ts: the same names serve queue/). */
export { hashTagPrefix, storeKey } from "../core/key-names.js";
