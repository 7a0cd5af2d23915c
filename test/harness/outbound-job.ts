/** An outbound job as the intake builds it: alice@localhost (+15550001111) to +15557654321 on gateway "sms". */
import type { OutboundJob } from "../../src/core/pipeline/jobs.js";

export function outboundJob(stanzaId: string, fields: Partial<OutboundJob> = {}): OutboundJob {
  return {
    gatewayId: "sms",
    stanzaId,
    senderJid: "alice@localhost/phone",
    senderBare: "alice@localhost",
    contactLocalpart: "+15557654321",
    to: "+15557654321",
    from: "+15550001111",
    body: "hello",
    mediaUrls: [],
    receipt: false,
    ...fields,
  };
}
