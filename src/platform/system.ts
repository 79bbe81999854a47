/**
 * The real clock, id source and logger. Runtime-neutral (globals present in
 * Bun, Deno and Node), kept in platform because they are the world's state.
 */
import type { Clock, IdKind, Ids, Logger, LogLevel } from "../app/ports/system.ts";

export const systemClock: Clock = { now: () => Date.now() };

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
const PREFIX: Record<IdKind, string> = {
  session: "ses_",
  action: "act_",
  request: "req_",
  callback_run: "run_",
};

/** Time-ordered ids: 48-bit ms time + 80 random bits, Crockford base32 (ULID layout). */
export function systemIds(): Ids {
  let lastTime = 0;
  let lastRand: Uint8Array = new Uint8Array(10);
  return {
    next(kind) {
      let t = Date.now();
      let rand: Uint8Array;
      if (t <= lastTime) {
        // Same millisecond: increment the previous randomness so ids stay ordered.
        t = lastTime;
        rand = lastRand.slice();
        for (let i = rand.length - 1; i >= 0; i--) {
          rand[i] = (rand[i]! + 1) & 0xff;
          if (rand[i] !== 0) break;
        }
      } else rand = crypto.getRandomValues(new Uint8Array(10));
      lastTime = t;
      lastRand = rand;
      let s = "";
      let time = t;
      for (let i = 0; i < 10; i++) {
        s = CROCKFORD[time % 32]! + s;
        time = Math.floor(time / 32);
      }
      let bits = 0;
      let acc = 0;
      for (const b of rand) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
          bits -= 5;
          s += CROCKFORD[(acc >> bits) & 31]!;
        }
        acc &= (1 << bits) - 1;
      }
      return PREFIX[kind] + s;
    },
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
  };
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines on stderr, at or above `min` (env WARRANT_LOG: debug|info|warn|error). */
export function stderrLogger(
  min: LogLevel = "info",
  write: (s: string) => void = (s) => process.stderr.write(s),
): Logger {
  const floor = LEVELS[min];
  return {
    log(level, msg, fields) {
      if (LEVELS[level] < floor) return;
      write(`${JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })}\n`);
    },
  };
}
