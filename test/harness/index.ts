// The integration-test harness: real servers on free loopback ports, stopped by PID.
export { startEjabberd } from "./ejabberd.js";
export { freePort, isPortOpen, LOOPBACK, waitForPort, waitForPortClosed } from "./ports.js";
export { makeTempDir } from "./process.js";
export { startProsody } from "./prosody.js";
export { type RedisOptions, redisPing, redisUrl, startRedis, type TestRedis, uniquePrefix } from "./redis.js";
export {
  formValues,
  type RecordedRequest,
  type StandInResponse,
  signedTwilioPost,
  startTwilioStandIn,
  type TwilioStandIn,
  type TwilioStandInOptions,
  twilioClientFor,
  twilioSpecPath,
} from "./twilio-standin.js";
export { type WaitOptions, waitFor, withTimeout } from "./wait.js";
export {
  type ConnectClientOptions,
  connectClient,
  type Element,
  randomId,
  type SaslMechanism,
  type StanzaPredicate,
  type TestClient,
  xml,
} from "./xmpp-client.js";
export {
  startXmppServer,
  XMPP_SERVER_KINDS,
  type XmppServer,
  type XmppServerKind,
  type XmppServerOptions,
} from "./xmpp-server.js";
