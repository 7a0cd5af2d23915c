/**
 * One socket write per turn of the event loop on a Redis connection, however many commands were
 * issued in it. BullMQ sends each of its scripts (take the next job, finish one) as a command of
 * its own, and a worker running many jobs finishes several in one turn: each was a write system
 * call, and on loopback a write also runs the receiving side's TCP path, so they were the
 * largest cost of the bench's profile after the provider requests.
 *
 * The connection's socket is corked at its first write of a turn and uncorked in the turn's
 * check phase (setImmediate), when every I/O callback of the turn and its promise continuations
 * have run: so the commands issued for the provider answers (or stanzas) read in one poll phase
 * leave together, not one write per callback as an uncork at process.nextTick gave. The bytes
 * and their order are exactly what they would have been; only the moment they leave moves, by
 * at most the rest of the turn (a write made in the check phase itself waits for the next turn's,
 * which the pending immediate keeps from blocking in poll). Unlike ioredis' enableAutoPipelining
 * (which moves commands into pipelines and was reported to upset Bull's scripts), nothing about
 * the commands changes.
 *
 * ioredis makes a new socket for each reconnection and says so with "connect"; each new socket
 * is wrapped once.
 */
import type { Socket } from "node:net";
import type { Redis } from "ioredis";

const wrapped = new WeakSet<Socket>();

function corkPerTurn(socket: Socket): void {
  if (wrapped.has(socket)) return;
  wrapped.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function corkedWrite(this: Socket, ...args: Parameters<Socket["write"]>): boolean {
    if (!corked) {
      corked = true;
      this.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket["write"];
}

/** The client's socket, when it has one (ioredis keeps it as `stream`). */
function socketOf(redis: Redis): Socket | undefined {
  const stream = (redis as unknown as { stream?: unknown }).stream;
  return stream !== null && typeof stream === "object" && "cork" in stream ? (stream as Socket) : undefined;
}

/** Coalesces the writes of each turn on `redis`'s connection, now and after every reconnect. */
export function coalesceWrites(redis: Redis): Redis {
  const wrap = () => {
    const socket = socketOf(redis);
    if (socket) corkPerTurn(socket);
  };
  redis.on("connect", wrap);
  wrap();
  return redis;
}
