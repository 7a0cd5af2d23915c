/** An RFC 3464 delivery-status report (a bounce) for tests of the email adapter's bounce handling. */

export interface DeliveryReportOptions {
  /** Who the report is mailed to (the sender of the failed mail). */
  readonly to: string;
  /** The failed mail's Message-ID, without angle brackets. */
  readonly messageId: string;
  readonly finalRecipient: string;
  readonly originalRecipient?: string;
  /** Default 5.1.1 / "smtp; 550 5.1.1 no such user". */
  readonly status?: string;
  readonly diagnostic?: string;
}

export function deliveryReport(o: DeliveryReportOptions): string {
  return [
    "From: Mail Delivery System <MAILER-DAEMON@mta.example.net>",
    `To: ${o.to}`,
    "Subject: Undelivered Mail Returned to Sender",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
    "",
    "--r",
    "Content-Type: text/plain",
    "",
    "Your mail could not be delivered.",
    "--r",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mta.example.net",
    "",
    ...(o.originalRecipient === undefined ? [] : [`Original-Recipient: rfc822; ${o.originalRecipient}`]),
    `Final-Recipient: rfc822; ${o.finalRecipient}`,
    "Action: failed",
    `Status: ${o.status ?? "5.1.1"}`,
    `Diagnostic-Code: ${o.diagnostic ?? "smtp; 550 5.1.1 no such user"}`,
    "",
    "--r",
    "Content-Type: text/rfc822-headers",
    "",
    `Message-ID: <${o.messageId}>`,
    "",
    "--r--",
    "",
  ].join("\r\n");
}
