/** What the SMS adapters' descriptors share: fresh contact numbers and the address pairs. */

// US numbers in +1555 71xxxxx-89xxxxx: never one of the fixed numbers the descriptors use.
let next = 7_100_000 + Math.floor(Math.random() * 1_000_000);

/** A fresh E.164 contact number per call. */
export const freshUsNumber = (): string => `+1555${next++}`;

/** E.164 numbers are JID localparts as they are; what is not a number is no address. */
export const SMS_ADDRESSES = {
  valid: [
    ["+15557654321", "+15557654321"],
    ["+442071838750", "+442071838750"],
    ["+4915123456789", "+4915123456789"],
  ],
  invalid: ["not-a-number", "+1555"],
} as const;
