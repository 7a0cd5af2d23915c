/**
 * GatewayRequestClient (undici) against a local node:http server: what goes on the wire (form and
 * JSON bodies, Basic auth, query string, rebasing onto apiBaseUrl, proxy), what comes back (text
 * body, no redirects), the error mapping (HTTP >= 400, refused, timeout) and the keep-alive
 * dispatcher's life cycle.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderHttpError, ProviderNetworkError } from "../../provider-kit/index.js";
import { formEncode, GatewayRequestClient } from "../http-client.js";
import { ACCOUNT_SID, AUTH_TOKEN, closedPort, messageResource } from "./helpers.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface TestServer {
  readonly url: string;
  readonly seen: Seen[];
  /** Server-side sockets, in the order they were accepted. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const clients: GatewayRequestClient[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await Promise.all(servers.splice(0).map(closeServer));
});

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** A server recording every request; `answer` writes the response (or never does). */
async function startServer(answer: (req: Seen, res: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const sockets: Socket[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      seen.push(recorded);
      answer(recorded, res);
    });
  });
  server.on("connection", (socket: Socket) => sockets.push(socket));
  const url = await listen(server);
  return { url, seen, sockets, close: () => closeServer(server) };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function client(apiBaseUrl: string, timeout = 5000): GatewayRequestClient {
  const c = new GatewayRequestClient(apiBaseUrl, { timeout, autoRetry: false });
  clients.push(c);
  return c;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the request to fail");
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const MESSAGES_URI = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

describe("GatewayRequestClient: requests", () => {
  it("sends a Message create through the SDK: Basic auth, repeated MediaUrl, text body parsed by the SDK", async () => {
    const server = await startServer((req, res) =>
      json(res, 201, messageResource(`SM${"b".repeat(32)}`, new URLSearchParams(req.body))),
    );
    const sdk = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: client(server.url), autoRetry: false });

    const created = await sdk.messages.create({
      to: "+15557654321",
      from: "+15550001111",
      body: "hello & good bye +1",
      mediaUrl: ["https://example.org/a.png", "https://example.org/b.png?x=1&y=2"],
    });

    expect(created.sid).toBe(`SM${"b".repeat(32)}`);
    expect(created.numMedia).toBe("2");
    const req = server.seen[0];
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`,
    );
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req?.headers["user-agent"]).toMatch(/^twilio-node\//);
    const form = new URLSearchParams(req?.body);
    expect(form.getAll("MediaUrl")).toEqual([
      "https://example.org/a.png",
      "https://example.org/b.png?x=1&y=2",
    ]);
    expect(form.get("Body")).toBe("hello & good bye +1");
    expect(form.get("To")).toBe("+15557654321");
    expect(req?.body).toMatch(/^(?:[^&]*&)*MediaUrl=[^&]+&(?:[^&]*&)*MediaUrl=[^&]+/);
    expect(req?.body).not.toContain("%5B");
  });

  it("returns status, headers and the body as text; does not follow redirects", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: "/elsewhere", "x-twilio-request": "RQ1" });
      res.end("moved");
    });

    const response = await client(server.url).request({ method: "get", uri: `${server.url}/here` });

    expect(response.statusCode).toBe(302);
    expect(response.body).toBe("moved");
    expect(response.headers).toMatchObject({ location: "/elsewhere", "x-twilio-request": "RQ1" });
    expect(server.seen.map((r) => r.url)).toEqual(["/here"]);
  });

  it("sends params as a query string, repeating keys for arrays, after a query already in the URI", async () => {
    const server = await startServer((_req, res) => json(res, 200, { ok: true }));

    const response = await client(server.url).request({
      method: "get",
      uri: "https://api.twilio.com/2010-04-01/Accounts.json?Page=2",
      params: { PhoneNumber: "+15550007777", Status: ["queued", "sent"], Skipped: undefined },
    });

    expect(response.body).toBe('{"ok":true}');
    const url = new URL(server.seen[0]?.url ?? "", server.url);
    expect(url.pathname).toBe("/2010-04-01/Accounts.json");
    expect(url.searchParams.get("Page")).toBe("2");
    expect(url.searchParams.get("PhoneNumber")).toBe("+15550007777");
    expect(url.searchParams.getAll("Status")).toEqual(["queued", "sent"]);
    expect(url.searchParams.has("Skipped")).toBe(false);
    expect(server.seen[0]?.method).toBe("GET");
    expect(server.seen[0]?.headers.authorization).toBeUndefined();
  });

  it("sends a JSON body for application/json and nothing for other content types", async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const c = client(server.url);

    await c.request({
      method: "post",
      uri: `${server.url}/json`,
      headers: { "Content-Type": "application/json" },
      data: { a: [1, 2], b: { c: "d" } },
    });
    await c.request({
      method: "post",
      uri: `${server.url}/other`,
      headers: { "Content-Type": "text/plain" },
      data: { a: 1 },
    });

    expect(JSON.parse(server.seen[0]?.body ?? "")).toEqual({ a: [1, 2], b: { c: "d" } });
    expect(server.seen[1]?.body).toBe("");
  });

  it("rebases api.twilio.com (and its edge forms) onto apiBaseUrl, keeping its path prefix; other hosts stay", async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const c = client(`${server.url}/prefix/`);

    expect(c.rebase("https://api.twilio.com/2010-04-01/Accounts.json?x=1")).toBe(
      `${server.url}/prefix/2010-04-01/Accounts.json?x=1`,
    );
    expect(c.rebase("https://api.dublin.ie1.twilio.com/v1/Services")).toBe(
      `${server.url}/prefix/v1/Services`,
    );
    expect(c.rebase("https://example.org/v1/Services?a=b")).toBe("https://example.org/v1/Services?a=b");
    expect(c.rebase("https://notapi.twilio.com/v1")).toBe("https://notapi.twilio.com/v1");

    await c.request({ method: "post", uri: MESSAGES_URI, headers: FORM, data: { To: "+1555" } });
    expect(server.seen[0]?.url).toBe(`/prefix/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(server.seen[0]?.body).toBe("To=%2B1555");
  });

  it("goes through HTTP_PROXY (CONNECT tunnel) when it is set", async () => {
    const target = await startServer((_req, res) => json(res, 200, { via: "proxy" }));
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on("connect", (req, clientSocket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host, () => {
        clientSocket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      upstream.on("error", () => clientSocket.destroy());
      clientSocket.on("error", () => upstream.destroy());
    });
    const proxyUrl = await listen(proxy);
    vi.stubEnv("HTTP_PROXY", proxyUrl);
    vi.stubEnv("http_proxy", proxyUrl);
    vi.stubEnv("NO_PROXY", "");
    vi.stubEnv("no_proxy", "");

    const response = await client(target.url).request({ method: "get", uri: MESSAGES_URI });

    expect(response.body).toBe('{"via":"proxy"}');
    expect(tunnels).toEqual([new URL(target.url).host]);
  });
});

describe("GatewayRequestClient: keep-alive dispatcher", () => {
  it("keeps connections alive across sequential requests and closes them on destroy()", async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const c = client(server.url);

    for (let i = 0; i < 10; i++) await c.request({ method: "get", uri: `${server.url}/${i}` });
    // Back-to-back requests may open a second connection before the first is marked idle.
    expect(server.sockets.length).toBeLessThanOrEqual(2);

    const closed = server.sockets.map(
      (s) => new Promise<void>((resolve) => s.once("close", () => resolve())),
    );
    await c.destroy();
    await Promise.all(closed);
    expect(server.sockets.every((s) => s.destroyed)).toBe(true);

    // A request after destroy() opens a new dispatcher, as the SDK's agent did.
    const before = server.sockets.length;
    await c.request({ method: "get", uri: `${server.url}/again` });
    expect(server.sockets).toHaveLength(before + 1);
  });

  it("sends Connection: close when the client is built with keepAlive: false", async () => {
    const server = await startServer((_req, res) => json(res, 200, {}));
    const c = new GatewayRequestClient(server.url, { keepAlive: false });
    clients.push(c);

    await c.request({ method: "get", uri: `${server.url}/1` });
    await c.request({ method: "get", uri: `${server.url}/2` });

    expect(server.seen.map((r) => r.headers.connection)).toEqual(["close", "close"]);
    expect(server.sockets).toHaveLength(2);
  });
});

describe("GatewayRequestClient: errors", () => {
  it("turns a 4xx with Retry-After into a ProviderHttpError with status, code, text and retryAfter", async () => {
    const server = await startServer((_req, res) =>
      json(res, 429, { code: 20429, message: "Too Many Requests", status: 429 }, { "Retry-After": "7" }),
    );

    const err = await rejection(
      client(server.url).request({ method: "post", uri: MESSAGES_URI, headers: FORM, data: { To: "+1" } }),
    );

    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err).toMatchObject({
      status: 429,
      code: 20429,
      providerMessage: "Too Many Requests",
      retryAfter: "7",
    });
  });

  it("turns a 5xx without a JSON body into a ProviderHttpError without a code", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(503, { "content-type": "text/html" });
      res.end("<html>down</html>");
    });

    const err = await rejection(client(server.url).request({ method: "get", uri: MESSAGES_URI }));

    expect(err).toBeInstanceOf(ProviderHttpError);
    expect(err).toMatchObject({
      status: 503,
      code: undefined,
      providerMessage: undefined,
      retryAfter: undefined,
    });
  });

  it("turns a refused connection into a ProviderNetworkError with the ECONNREFUSED code", async () => {
    const port = await closedPort();

    const err = await rejection(
      client(`http://127.0.0.1:${port}`).request({ method: "get", uri: MESSAGES_URI }),
    );

    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect((err as ProviderNetworkError).code).toBe("ECONNREFUSED");
  });

  it("turns a request without an answer into a ProviderNetworkError carrying undici's timeout code", async () => {
    const server = await startServer(() => {});

    const err = await rejection(
      client(server.url, 60_000).request({ method: "get", uri: MESSAGES_URI, timeout: 100 }),
    );

    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect((err as ProviderNetworkError).code).toBe("UND_ERR_HEADERS_TIMEOUT");
    expect(server.seen).toHaveLength(1);
  });

  it("uses the client's configured timeout when the SDK passes none", async () => {
    const server = await startServer(() => {});
    const options: RequestClient.RequestOptions = { method: "get", uri: MESSAGES_URI };

    const err = await rejection(client(server.url, 100).request(options));

    expect(err).toBeInstanceOf(ProviderNetworkError);
    expect((err as ProviderNetworkError).code).toBe("UND_ERR_HEADERS_TIMEOUT");
  });
});

describe("formEncode (qs.stringify with arrayFormat: repeat)", () => {
  it("repeats keys for arrays, brackets nested objects, drops undefined, keeps null empty", () => {
    const encoded = formEncode({
      MediaUrl: ["a", "b"],
      Body: "x y+z&",
      Nested: { Key: 1, Deeper: { Flag: true } },
      Gone: undefined,
      Empty: null,
      When: new Date("2024-01-02T03:04:05.000Z"),
      None: [],
    });
    const form = new URLSearchParams(encoded);

    expect([...form.entries()]).toEqual([
      ["MediaUrl", "a"],
      ["MediaUrl", "b"],
      ["Body", "x y+z&"],
      ["Nested[Key]", "1"],
      ["Nested[Deeper][Flag]", "true"],
      ["Empty", ""],
      ["When", "2024-01-02T03:04:05.000Z"],
    ]);
  });

  it("encodes nothing for a non-object", () => {
    expect(formEncode("a=b")).toBe("");
    expect(formEncode(undefined)).toBe("");
  });
});
