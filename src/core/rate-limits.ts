/**
 * Per-user limits: how many messages and SMS segments a user may send per minute (a token bucket
 * whose capacity is the burst) and per UTC day (a fixed window), and how often a user may have
 * a registration checked with the provider. The rules are built here; a RateLimiter (Redis, one
 * script call per check, shared by every process) applies them atomically: either every rule has
 * room and all are counted, or nothing is counted and the first full rule is named.
 *
 * Refusals: a short-term rate says `resource-constraint` (error type wait: it passes by itself in
 * seconds); a daily quota says `policy-violation` (the operator's policy, until 00:00 UTC).
 */
import { inWords, LimitRefusal } from "./message-cost.js";

/** One rule: a token bucket or a fixed window, with the state under `id` and what this use costs. */
export type LimitRule =
  | {
      readonly kind: "bucket";
      readonly id: string;
      /** Tokens when full (the burst). */
      readonly capacity: number;
      /** Milliseconds to regain one token. */
      readonly msPerToken: number;
      readonly cost: number;
    }
  | {
      readonly kind: "window";
      readonly id: string;
      readonly limit: number;
      /** When the window ends (epoch ms); its count is forgotten then. */
      readonly endsAt: number;
      readonly cost: number;
    };

export type LimitVerdict =
  | { readonly ok: true }
  /** `rule`: index of the first rule without room; `used`: what of it is used up; -1 ms: never. */
  | { readonly ok: false; readonly rule: number; readonly retryAfterMs: number; readonly used: number };

export interface RateLimiter {
  /**
   * Counts `rules` if every one has room. With `once`, a use already counted under that id (a
   * resent stanza with the same id) is allowed without counting it again.
   */
  take(rules: readonly LimitRule[], now: number, once?: string): Promise<LimitVerdict>;
}

export interface UserLimits {
  readonly messagesPerMinute: number;
  readonly messagesBurst: number;
  readonly messagesPerDay: number;
  readonly segmentsPerMinute: number;
  readonly segmentsBurst: number;
  readonly segmentsPerDay: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The limits of `jid`: the gateway's defaults with the user's overrides, if any. */
export function limitsOf(
  defaults: UserLimits,
  overrides: ReadonlyMap<string, Partial<UserLimits>>,
  jid: string,
): UserLimits {
  const own = overrides.get(jid);
  if (!own) return defaults;
  const pick = (k: keyof UserLimits) => own[k] ?? defaults[k];
  return {
    messagesPerMinute: pick("messagesPerMinute"),
    messagesBurst: pick("messagesBurst"),
    messagesPerDay: pick("messagesPerDay"),
    segmentsPerMinute: pick("segmentsPerMinute"),
    segmentsBurst: pick("segmentsBurst"),
    segmentsPerDay: pick("segmentsPerDay"),
  };
}

const SEND_LIMITS = ["messages-per-minute", "messages-per-day", "segments-per-minute", "segments-per-day"];

/** The four rules one outbound message of `segments` segments is counted against. */
export function sendRules(
  gatewayId: string,
  jid: string,
  limits: UserLimits,
  segments: number,
  now: number,
): LimitRule[] {
  const day = Math.floor(now / DAY_MS);
  const endsAt = (day + 1) * DAY_MS;
  const id = (limit: string) => `${gatewayId}:${limit}${limit.endsWith("day") ? `:${day}` : ""}:${jid}`;
  return [
    {
      kind: "bucket",
      id: id("messages-per-minute"),
      capacity: limits.messagesBurst,
      msPerToken: MINUTE_MS / limits.messagesPerMinute,
      cost: 1,
    },
    { kind: "window", id: id("messages-per-day"), limit: limits.messagesPerDay, endsAt, cost: 1 },
    {
      kind: "bucket",
      id: id("segments-per-minute"),
      capacity: limits.segmentsBurst,
      msPerToken: MINUTE_MS / limits.segmentsPerMinute,
      cost: segments,
    },
    { kind: "window", id: id("segments-per-day"), limit: limits.segmentsPerDay, endsAt, cost: segments },
  ];
}

/** "in 3 seconds", "in 2 minutes": a wait as people say it (rounded up). */
export function waitInWords(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 120) return `in ${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  if (m < 120) return `in ${m} minutes`;
  return `in ${Math.ceil(m / 60)} hours`;
}

/** The refusal for a verdict of `sendRules`, naming the limit in words and when to try again. */
export function sendRefusal(
  limits: UserLimits,
  segments: number,
  verdict: Extract<LimitVerdict, { ok: false }>,
): LimitRefusal {
  const limit = SEND_LIMITS[verdict.rule] ?? "messages-per-minute";
  const after = "Try again after 00:00 UTC.";
  const again = `Try again ${waitInWords(verdict.retryAfterMs)}.`;
  switch (limit) {
    case "messages-per-day":
      return new LimitRefusal(
        limit,
        "policy-violation",
        `You have sent ${inWords(verdict.used)} messages today; the limit is ${inWords(limits.messagesPerDay)} per day. ${after}`,
      );
    case "segments-per-day":
      return new LimitRefusal(
        limit,
        "policy-violation",
        `You have sent ${inWords(verdict.used)} SMS segments today and this message needs ${inWords(segments)}; the limit is ${inWords(limits.segmentsPerDay)} per day. ${after}`,
      );
    case "segments-per-minute":
      return new LimitRefusal(
        limit,
        "resource-constraint",
        `You are sending too fast: this message needs ${inWords(segments)} SMS segments, and you may send ${inWords(limits.segmentsPerMinute)} a minute, ${inWords(limits.segmentsBurst)} at once. ${again}`,
      );
    default:
      return new LimitRefusal(
        limit,
        "resource-constraint",
        `You are sending too fast: at most ${inWords(limits.messagesPerMinute)} messages a minute, ${inWords(limits.messagesBurst)} at once. ${again}`,
      );
  }
}

/** A gateway's per-user send limits and where they are counted. */
export interface SendLimits {
  readonly limiter: RateLimiter;
  readonly defaults: UserLimits;
  /** Per-user overrides by bare JID. */
  readonly overrides: ReadonlyMap<string, Partial<UserLimits>>;
  readonly now?: () => number;
}

/**
 * Counts one message of `segments` segments against `jid`'s limits, or throws the refusal. With
 * `once` (the job id of a stanza with an id), a resend of the same stanza is not counted again.
 */
export async function takeSend(
  l: SendLimits,
  gatewayId: string,
  jid: string,
  segments: number,
  once?: string,
): Promise<void> {
  const limits = limitsOf(l.defaults, l.overrides, jid);
  const now = (l.now ?? Date.now)();
  const verdict = await l.limiter.take(sendRules(gatewayId, jid, limits, segments, now), now, once);
  if (!verdict.ok) throw sendRefusal(limits, segments, verdict);
}

export interface RegistrationChecks {
  readonly limiter: RateLimiter;
  /** Attempts per window (the bucket's capacity); they come back one by one over the window. */
  readonly attempts: number;
  readonly windowMs: number;
  readonly now?: () => number;
  /** Told who was refused (the operator's metric and log line). */
  readonly onRefused?: (jid: string) => void;
}

/**
 * Counts one registration check (a provider API call) of `jid`, or throws resource-constraint
 * saying when to try again. Call it before anything reaches the provider.
 */
export async function takeRegistrationCheck(
  checks: RegistrationChecks,
  gatewayId: string,
  jid: string,
): Promise<void> {
  const rule: LimitRule = {
    kind: "bucket",
    id: `${gatewayId}:registration-checks:${jid}`,
    capacity: checks.attempts,
    msPerToken: checks.windowMs / checks.attempts,
    cost: 1,
  };
  const verdict = await checks.limiter.take([rule], (checks.now ?? Date.now)());
  if (verdict.ok) return;
  checks.onRefused?.(jid);
  const window = waitInWords(checks.windowMs).replace(/^in /, "");
  throw new LimitRefusal(
    "registration-checks",
    "resource-constraint",
    `Too many registration attempts: at most ${inWords(checks.attempts)} in ${window}. Try again ${waitInWords(verdict.retryAfterMs)}.`,
  );
}
