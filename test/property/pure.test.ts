/**
 * Bad input, pure level: the decoders, the form parser, address codecs, the config loader and the
 * Twilio webhook parsers take any input without throwing anything but their own documented errors.
 */
import { xml } from "@xmpp/component";
import fc from "fast-check";
import twilio from "twilio";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { toE164 } from "../../adapters/sms-kit/phone.js";
import { formatSmsAddress } from "../../adapters/sms-kit/sms-address.js";
import { createTwilioWebhooks, parseInbound, parseStatus } from "../../adapters/twilio/webhooks.js";
import { parseConfigText } from "../../src/config/load.js";
import { WebhookAuthError, WebhookInputError } from "../../src/core/adapter.js";
import { AddressError } from "../../src/core/errors.js";
import { escapeLocalpart, unescapeLocalpart } from "../../src/core/localpart.js";
import { parseForm } from "../../src/http/form.js";
import { adapterSchemas } from "../../src/main.js";
import { decodeMessage } from "../../src/xmpp/decode.js";
import { xmlSafe } from "../../src/xmpp/xml-chars.js";
import { silentLogger } from "../harness/silent-logger.js";
import {
  configureProperties,
  element,
  hostileText,
  jidOn,
  maybeHuge,
  phoneish,
  senderJid,
  wildString,
} from "./arbitraries.js";

beforeAll(() => configureProperties(300));

const DOMAIN = "sms.example.org";
describe("decodeMessage", () => {
  const message = fc
    .record(
      {
        type: fc.oneof(fc.constantFrom("chat", "normal", "groupchat", "headline", "error"), wildString(6)),
        from: senderJid(["alice@example.org/phone"]),
        to: jidOn(DOMAIN),
        id: fc.oneof(wildString(20), fc.string({ minLength: 250, maxLength: 300 })),
        children: fc.array(
          fc.oneof(
            element,
            maybeHuge.map((t) => xml("body", {}, t)),
          ),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: ["children"] },
    )
    .map(({ children, ...a }) => {
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(a)) if (typeof v === "string") attrs[k] = v;
      return xml("message", attrs, ...children);
    });

  it("never throws, never sends an error, a body-less message or one without from/to", () => {
    fc.assert(
      fc.property(message, (el) => {
        const d = decodeMessage(el);
        const { type, from, to, id } = el.attrs;
        if (type === "error" || !from || !to) expect(d.kind).toBe("ignore");
        if (d.kind === "refuse") {
          expect(["feature-not-implemented", "bad-request"]).toContain(d.condition);
          expect(d.text.length).toBeGreaterThan(0);
        }
        if (d.kind === "send") {
          const r = d.request;
          expect(r.body.trim() !== "" || r.mediaUrls.length > 0).toBe(true);
          expect(to?.startsWith(r.contactLocalpart)).toBe(true);
          expect(r.senderJid).toBe(from);
          expect(id === undefined || id.length <= 256).toBe(true);
          expect(type === "groupchat" || type === "headline").toBe(false);
        }
      }),
    );
  });
});

describe("parseForm", () => {
  const pair = fc.tuple(
    fc.oneof(
      fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "Body", "To"),
      wildString(8),
    ),
    wildString(12),
  );

  it("keeps every field of any form as own string values, repeated keys as arrays", () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 12 }), (pairs) => {
        const body = new URLSearchParams(pairs).toString();
        const form = parseForm(body);
        // What the platform itself decodes (lone surrogates become U+FFFD on the way).
        const decoded = [...new URLSearchParams(body)];
        const expected = new Map<string, string[]>();
        for (const [k, v] of decoded) expected.set(k, [...(expected.get(k) ?? []), v]);
        expect(Object.getPrototypeOf(form)).toBe(Object.prototype);
        // Same keys (integer-like keys come first in any JS object, so compare sorted).
        expect(Object.keys(form).sort()).toEqual([...expected.keys()].sort());
        for (const [k, values] of expected) {
          expect(Object.hasOwn(form, k)).toBe(true);
          expect(form[k]).toEqual(values.length === 1 ? values[0] : values);
        }
      }),
    );
  });

  it("never throws on arbitrary bodies (invalid percent-encoding, surrogates, separators)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          wildString(200),
          fc.string({ unit: fc.constantFrom("%", "&", "=", "+", "z", "9", "\ud800") }),
        ),
        (body) => {
          const form = parseForm(body);
          for (const v of Object.values(form)) {
            if (Array.isArray(v)) for (const s of v) expect(typeof s).toBe("string");
            else expect(typeof v).toBe("string");
          }
        },
      ),
    );
  });

  it("parses a body repeating one key 30,000 times in linear time", () => {
    const started = performance.now();
    const form = parseForm("a=1&".repeat(30_000));
    expect((form.a as string[]).length).toBe(30_000);
    // Quadratic copying took ~10 s here; linear takes a few milliseconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("addresses", () => {
  it("toE164 returns canonical E.164 or throws AddressError, for any input and region", () => {
    fc.assert(
      fc.property(
        fc.oneof(phoneish, wildString(60), maybeHuge),
        fc.constantFrom(undefined, "US", "GB", "DE", "XX", "", "us"),
        fc.constantFrom("possible" as const, "valid" as const),
        (input, region, check) => {
          try {
            const e164 = toE164(input, { check, ...(region === undefined ? {} : { defaultRegion: region }) });
            expect(e164).toMatch(/^\+[1-9]\d{1,14}$/);
          } catch (err) {
            expect(err).toBeInstanceOf(AddressError);
            expect((err as Error).message.length).toBeLessThan(300);
          }
        },
      ),
    );
  });

  it("escapeLocalpart round-trips through unescapeLocalpart and leaves no forbidden character", () => {
    fc.assert(
      fc.property(wildString(40), (s) => {
        let escaped: string;
        try {
          escaped = escapeLocalpart(s);
        } catch (err) {
          expect(err).toBeInstanceOf(AddressError);
          expect(s.length === 0 || s.startsWith(" ") || s.endsWith(" ")).toBe(true);
          return;
        }
        expect(escaped).not.toMatch(/[ "&'/:<>@]/);
        expect(unescapeLocalpart(escaped)).toBe(s);
      }),
    );
  });

  it("formatSmsAddress gives any sender a localpart: never throws, no raw JID specials or XML-forbidden characters, at most 1023 bytes; numbers unchanged", () => {
    fc.assert(
      fc.property(fc.oneof(hostileText(60), phoneish, maybeHuge), (s) => {
        const local = formatSmsAddress(s);
        expect(local.length).toBeGreaterThan(0);
        expect(local).not.toMatch(/[ "&'/:<>@]/);
        expect(xmlSafe(local)).toBe(local);
        expect(new TextEncoder().encode(local).length).toBeLessThanOrEqual(1023);
        if (/^\+[1-9]\d{1,14}$/.test(s)) expect(local).toBe(s);
      }),
    );
  });

  it("unescapeLocalpart never throws and only shortens", () => {
    fc.assert(
      fc.property(wildString(60), (s) => {
        expect(unescapeLocalpart(s).length).toBeLessThanOrEqual(s.length);
      }),
    );
  });
});

describe("parseConfigText", () => {
  /** Values of secret keys carry this marker, so an echo of one is easy to find. */
  const secretValue = fc
    .string({ minLength: 4, maxLength: 12, unit: fc.constantFrom(..."abcdefXYZ0123456789") })
    .map((s) => `SeCrEt${s}`);
  const json: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.oneof(
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        wildString(20),
        fc.constantFrom("${HOME}", "${NOPE}", "$${x}", "${A:-b}"),
      ),
      fc.array(tie("v"), { maxLength: 4 }),
      fc
        .array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(
                "xmpp",
                "redis",
                "http",
                "gateways",
                "allowedDomains",
                "log",
                "queue",
                "id",
                "domain",
                "adapter",
                "twilio",
                "simulator",
                "users",
                "__proto__",
                "constructor",
                "toString",
                "publicUrl",
                "bodyLimitBytes",
              ),
              wildString(8),
            ),
            tie("v"),
          ),
          { maxLength: 5 },
        )
        .map((entries) => Object.fromEntries(entries)),
    ),
  })).v;

  /** A valid config with one part replaced by a random value. */
  const mutated = fc
    .tuple(
      secretValue,
      secretValue,
      fc.constantFrom(
        "xmpp",
        "redis",
        "http",
        "gateways",
        "allowedDomains",
        "log",
        "queue",
        "adapter",
        "twilio",
        "users",
        "id",
        "domain",
        "defaultRegion",
      ),
      json,
    )
    .map(([secret, token, key, value]) => {
      const gateway: Record<string, unknown> = {
        id: "sms",
        domain: DOMAIN,
        secret,
        adapter: "twilio",
        twilio: { accountSid: `AC${"a".repeat(32)}`, authToken: token },
        users: [{ jid: "alice@example.org", number: "+15550001111" }],
      };
      const config: Record<string, unknown> = { allowedDomains: ["example.org"], gateways: [gateway] };
      if (["adapter", "twilio", "users", "id", "domain", "defaultRegion"].includes(key)) gateway[key] = value;
      else config[key] = value;
      return { text: stringify(config), secrets: [secret, token] };
    });

  const check = (text: string, secrets: readonly string[]) => {
    const result = parseConfigText(text, { HOME: "/root", A: "" }, adapterSchemas);
    if (result.ok) return;
    expect(result.problems.length).toBeGreaterThan(0);
    for (const p of result.problems) {
      expect(typeof p.path).toBe("string");
      expect(typeof p.message).toBe("string");
      expect(p.message.length).toBeGreaterThan(0);
    }
    const printed = JSON.stringify(result.problems);
    for (const s of secrets) expect(printed).not.toContain(s);
  };

  it("never throws for any text; problems have a path and a message", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          wildString(300),
          fc.string({ unit: fc.constantFrom(..."{}[]:-,&*!|>'\"#% \n\tab1"), maxLength: 200 }),
        ),
        (text) => {
          check(text, []);
        },
      ),
    );
  });

  it("never throws for any YAML object and never echoes a secret or authToken value", () => {
    fc.assert(
      fc.property(mutated, ({ text, secrets }) => check(text, secrets)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(json, secretValue, (value, secret) => {
        const text = stringify({ gateways: [{ secret, twilio: { authToken: secret } }], junk: value });
        check(text, [secret]);
      }),
    );
  });

  it("answers alias bombs, deep nesting and prototype keys with problems, not exceptions", () => {
    const cases = [
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
      `a: ${"[".repeat(5000)}${"]".repeat(5000)}`,
      "__proto__: { secret: SeCrEtproto }\nallowedDomains: [a]\n",
      "allowedDomains: [example.org]\ngateways:\n  - { id: sms, domain: sms.example.org, secret: SeCrEtx, adapter: toString }\n",
      "allowedDomains: [example.org]\ngateways:\n  - { id: sms, domain: sms.example.org, secret: SeCrEty, adapter: simulator, constructor: 1 }\n",
    ];
    for (const text of cases) {
      const result = parseConfigText(text, {}, adapterSchemas);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(JSON.stringify(result.problems)).not.toMatch(/SeCrEt/);
    }
    const proto = parseConfigText(cases[2] ?? "", {}, adapterSchemas);
    expect(proto.ok || proto.problems.some((p) => p.path === "__proto__")).toBe(true);
    const adapter = parseConfigText(cases[3] ?? "", {}, adapterSchemas);
    expect(adapter.ok ? [] : adapter.problems).toContainEqual(
      expect.objectContaining({
        path: "gateways[0].adapter",
        message: expect.stringContaining("unknown adapter"),
      }),
    );
    const key = parseConfigText(cases[4] ?? "", {}, adapterSchemas);
    expect(key.ok ? [] : key.problems.map((p) => p.path)).toContain("gateways[0].constructor");
  });
});

describe("Twilio webhook parsing", () => {
  const TOKEN = "twilio-property-token";
  const URL_BASE = "https://gw.example.test/webhooks/sms";
  const sid = fc.oneof(fc.stringMatching(/^(SM|MM)[0-9a-f]{32}$/), wildString(40), fc.constant("SM123"));
  const value = fc.oneof(
    { weight: 5, arbitrary: wildString(30) },
    { weight: 1, arbitrary: fc.array(wildString(10), { minLength: 2, maxLength: 3 }) },
  );
  const fieldName = fc.oneof(
    fc.constantFrom(
      "MessageSid",
      "From",
      "To",
      "Body",
      "NumMedia",
      "MediaUrl0",
      "MediaUrl1",
      "OptOutType",
      "MessageStatus",
      "ErrorCode",
      "AccountSid",
      "__proto__",
      "constructor",
    ),
    wildString(10),
  );
  const form: fc.Arbitrary<Record<string, string | string[]>> = fc
    .tuple(
      fc.record(
        {
          MessageSid: sid,
          From: fc.oneof(phoneish, value),
          To: fc.oneof(phoneish, value),
          Body: value,
          NumMedia: fc.oneof(fc.integer({ min: -1, max: 12 }).map(String), value),
          MediaUrl0: fc.oneof(fc.webUrl(), value),
          MessageStatus: fc.oneof(
            fc.constantFrom("delivered", "failed", "undelivered", "sent", "canceled", "DELIVERED"),
            value,
          ),
          ErrorCode: fc.oneof(fc.constantFrom("30003", "30005", "", "21610"), value),
          OptOutType: fc.oneof(fc.constantFrom("STOP", "START", "HELP"), value),
        },
        { requiredKeys: [] },
      ),
      fc.array(fc.tuple(fieldName, value), { maxLength: 4 }),
    )
    .map(([known, extra]) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of [...Object.entries(known), ...extra]) {
        if (typeof v === "string" || Array.isArray(v))
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    });

  const onlyInputErrors = (f: () => unknown) => {
    try {
      return f();
    } catch (err) {
      expect(err).toBeInstanceOf(WebhookInputError);
      expect((err as Error).message).toMatch(/^Twilio (message|status) webhook: /);
      return undefined;
    }
  };

  it("parseInbound and parseStatus throw nothing but WebhookInputError; what they return is sound", () => {
    fc.assert(
      fc.property(form, (f) => {
        const inbound = onlyInputErrors(() => parseInbound(f));
        if (inbound !== undefined) {
          expect(inbound).toMatchObject({ kind: "message" });
          if (typeof inbound === "object" && inbound !== null && "mediaUrls" in inbound) {
            expect((inbound.mediaUrls as string[]).length).toBeLessThanOrEqual(10);
          }
        }
        const statuses = onlyInputErrors(() => parseStatus(f));
        if (statuses !== undefined) expect((statuses as unknown[]).length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("the routes throw nothing but WebhookAuthError or WebhookInputError, signed or not", async () => {
    const routes = createTwilioWebhooks(TOKEN, silentLogger, async (n) =>
      n === "+15550001111" ? { accountSid: `AC${"b".repeat(32)}`, authToken: "own-token" } : undefined,
    );
    await fc.assert(
      fc.asyncProperty(
        form,
        fc.constantFrom(...routes),
        fc.constantFrom("none", "garbage", "signed", "signed-other-url"),
        wildString(40),
        async (f, route, signing, garbage) => {
          const publicUrl = `${URL_BASE}/${route.path}`;
          const headers: Record<string, string | undefined> = {};
          if (signing === "garbage") headers["x-twilio-signature"] = garbage;
          if (signing === "signed")
            headers["X-Twilio-Signature"] = twilio.getExpectedTwilioSignature(TOKEN, publicUrl, f);
          if (signing === "signed-other-url")
            headers["x-twilio-signature"] = twilio.getExpectedTwilioSignature(TOKEN, `${publicUrl}?x=1`, f);
          try {
            const handled = await route.handle({ publicUrl, headers, form: f, rawBody: "" });
            expect(signing).toBe("signed");
            expect(handled.ack.status).toBe(200);
          } catch (err) {
            const known = err instanceof WebhookAuthError || err instanceof WebhookInputError;
            expect(known, String(err)).toBe(true);
            if (signing !== "signed") expect(err).toBeInstanceOf(WebhookAuthError);
          }
        },
      ),
    );
  });
});
