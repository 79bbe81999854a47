/**
 * The live tail of the audit log, for Server-Sent Events and in-process
 * consumers (metrics, webhooks). The store is the source of truth: the hub
 * reads committed events by seq, so it sees every process writing the same
 * SQLite file (gates, the CLI), not only this one. As an EventSink on the
 * bus it is woken at once by this process's commits; a poll timer picks up
 * other processes' commits.
 *
 * Subscribers resume from a seq (Last-Event-ID): they replay from the store
 * page by page, then switch to live delivery. Each live subscriber has a
 * bounded queue; one that falls further behind than that is dropped (it can
 * reconnect with Last-Event-ID and replay what it missed).
 */
import type { EventRecord } from "../core/records.ts";
import type { EventSink } from "../app/ports/event-sink.ts";
import type { StoreReads } from "../app/ports/store.ts";

export interface EventFilter {
  /** Only these event types (exact names). */
  types?: string[];
  /** Only events of this action. */
  actionId?: string;
}

export interface SseHubOptions {
  /** How often to look for other processes' commits, ms (default 100; 2000 with `watch`). */
  pollMs?: number;
  /**
   * A commit signal from the store (PostgreSQL LISTEN/NOTIFY:
   * Store.watchCommits): other processes' commits are read when it fires,
   * and the poll is only a safety net.
   */
  watch?: (listener: () => void) => () => void;
  /** Most events a live subscriber may have queued before it is dropped (default 1024). */
  queueMax?: number;
  /** Events per store read (default 500). */
  pageSize?: number;
  /** Events per page of a replay (default 200): small pages, the loop yields between them. */
  replayPageSize?: number;
  /**
   * Replays (subscriptions catching up from the store) allowed at once
   * (default 16); `subscribe` refuses more with ReplayCapacityError.
   */
  maxReplays?: number;
  /** Told about a failing store read (the hub keeps going). */
  onError?: (e: unknown) => void;
  /**
   * Replay bytes per second, across all replays of this hub (default: no
   * limit). Replays are catch-up: bounding their bandwidth bounds the CPU
   * and network share they take from everything else on the machine.
   */
  replayBytesPerSec?: number;
  /**
   * Bytes of framed replay pages kept for other replays of the same range
   * (default 32 MiB): replays that started at different times read (and
   * frame) each page of history once between them, not once each.
   */
  framedCacheBytes?: number;
}

/** A replay page as a stream sends it: framed bytes, its last seq, its length. */
export interface FramedPage {
  bytes: Uint8Array;
  last: number;
  count: number;
}

const EMPTY = new Uint8Array(0);

type Reads = Pick<StoreReads, "events" | "lastEventSeq">;

/** One consumer of the tail. Read batches with `next`; `close` when done. */
export class Subscription {
  private queue: EventRecord[] = [];
  private catching: boolean;
  private waiter: (() => void) | null = null;
  /** True once closed by the consumer, the hub, or for being too slow. */
  closed = false;
  /** True when closed because the queue overflowed. */
  dropped = false;

  constructor(
    private readonly hub: SseHub,
    /** Highest seq delivered (or skipped) so far. */
    public cursor: number,
    readonly filter: EventFilter,
    catching: boolean,
  ) {
    this.catching = catching;
  }

  private matches(e: EventRecord): boolean {
    if (this.filter.actionId !== undefined && e.action_id !== this.filter.actionId) return false;
    if (this.filter.types !== undefined && !this.filter.types.includes(e.type)) return false;
    return true;
  }

  /** Called by the hub with each new batch, in seq order. */
  offer(batch: EventRecord[]): void {
    if (this.closed || this.catching) return;
    for (const e of batch) {
      if (e.seq <= this.cursor) continue;
      this.cursor = e.seq;
      if (this.matches(e)) this.queue.push(e);
    }
    if (this.queue.length > this.hub.queueMax) {
      this.dropped = true;
      this.close();
      return;
    }
    if (this.queue.length > 0) this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /**
   * The next events to send: a non-empty batch, `[]` when `timeoutMs` passed
   * with nothing new (send a heartbeat), or null when the subscription is
   * closed. Replay pages come from the store, live ones from the queue.
   */
  async next(timeoutMs: number): Promise<EventRecord[] | null> {
    if (this.closed) return null;
    if (this.catching) {
      // One replay page per turn of the event loop, across all replays: I/O
      // (a govern, a heartbeat) runs between any two pages.
      await this.hub.replayTurn(this.cursor, this.filter);
      if (this.closed) return null;
      const page = this.hub.readAfter(this.cursor, this.filter);
      if (page.length > 0) this.cursor = page[page.length - 1]!.seq;
      if (page.length < this.hub.replayPageSize) {
        this.catching = false;
        this.hub.replayDone(this);
        this.cursor = Math.max(this.cursor, this.hub.seq);
      }
      if (page.length > 0) return page;
    }
    if (this.queue.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.waiter = null;
    }
    if (this.closed && !this.dropped) return null;
    if (this.dropped) return null;
    return this.queue.splice(0, this.queue.length);
  }

  /**
   * Like `next`, but as bytes to send, framed by `frame`: replay pages come
   * from the hub's cache of framed pages (read and framed once for every
   * replay of that range), live batches are framed here. An empty array
   * means a heartbeat is due; null that the subscription is closed.
   */
  async nextFramed(
    timeoutMs: number,
    frame: (batch: EventRecord[]) => Uint8Array,
  ): Promise<Uint8Array | null> {
    if (this.closed) return null;
    if (this.catching) {
      await this.hub.replayTurn(this.cursor, this.filter);
      if (this.closed) return null;
      const page = this.hub.readFramed(this.cursor, this.filter, frame);
      if (page.count > 0) this.cursor = page.last;
      if (page.count < this.hub.replayPageSize) {
        this.catching = false;
        this.hub.replayDone(this);
        this.cursor = Math.max(this.cursor, this.hub.seq);
      }
      if (page.count > 0) return page.bytes;
    }
    const batch = await this.next(timeoutMs);
    return batch === null ? null : batch.length > 0 ? frame(batch) : EMPTY;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    if (this.catching) this.hub.replayDone(this);
    this.hub.unsubscribe(this);
    this.wake();
  }
}

/** Full replay pages kept for other replays of the same range. */
const PAGE_CACHE = 64;

const pageKey = (seq: number, f: EventFilter) =>
  `${seq}|${f.actionId ?? ""}|${f.types?.join(",") ?? ""}`;

/** Thrown by `subscribe` when `maxReplays` replays are already running. */
export class ReplayCapacityError extends Error {
  constructor(readonly max: number) {
    super(`${max} event replays are already running; retry shortly`);
  }
}

/** The tail of the audit log, shared by every subscriber of one process. */
export class SseHub implements EventSink {
  readonly name = "sse";
  readonly queueMax: number;
  readonly pageSize: number;
  readonly replayPageSize: number;
  readonly maxReplays: number;
  private readonly replaying = new Set<Subscription>();
  private lastSeq = 0;
  private readonly subs = new Set<Subscription>();
  private readonly taps: Array<(events: EventRecord[]) => void> = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private unwatch: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly reads: Reads, private readonly opts: SseHubOptions = {}) {
    this.queueMax = opts.queueMax ?? 1024;
    this.pageSize = opts.pageSize ?? 500;
    this.replayPageSize = opts.replayPageSize ?? 200;
    this.maxReplays = opts.maxReplays ?? 16;
  }

  /** Highest seq dispatched so far. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Number of open subscriptions. */
  get size(): number {
    return this.subs.size;
  }

  /** Start at `fromSeq` (default: the end of the log) and poll for other processes' commits. */
  start(fromSeq?: number): void {
    this.lastSeq = fromSeq ?? this.reads.lastEventSeq();
    this.timer = setInterval(() => this.pump(), this.opts.pollMs ?? (this.opts.watch ? 2000 : 100));
    this.unwatch = this.opts.watch?.(() => this.pump());
  }

  /** Every event dispatched (new since start), in seq order, for in-process consumers. */
  tap(fn: (events: EventRecord[]) => void): void {
    this.taps.push(fn);
  }

  /** EventSink: this process committed `events`; dispatch them (or catch up from the store). */
  write(events: EventRecord[]): void {
    if (this.stopped || events.length === 0) return;
    if (events[0]!.seq === this.lastSeq + 1) this.dispatch(events);
    else this.pump();
  }

  /** Read and dispatch everything committed after the last dispatched seq. */
  pump(): void {
    if (this.stopped) return;
    try {
      for (;;) {
        const batch = this.reads.events({ afterSeq: this.lastSeq, limit: this.pageSize });
        if (batch.length === 0) return;
        this.dispatch(batch);
        if (batch.length < this.pageSize) return;
      }
    } catch (e) {
      this.opts.onError?.(e);
    }
  }

  private dispatch(batch: EventRecord[]): void {
    const fresh = batch.filter((e) => e.seq > this.lastSeq);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1]!.seq;
    for (const t of this.taps) {
      try {
        t(fresh);
      } catch (e) {
        this.opts.onError?.(e);
      }
    }
    for (const s of [...this.subs]) s.offer(fresh);
  }

  /** A page of stored events after `seq` matching `filter` (replay). */
  readAfter(seq: number, filter: EventFilter): EventRecord[] {
    // Replays of one range share pages: clients catching up together read
    // (and the stream frames) each page once.
    const key = pageKey(seq, filter);
    const hit = this.pageCache.get(key);
    if (hit) return hit;
    const page = this.reads.events({
      afterSeq: seq,
      limit: this.replayPageSize,
      ...(filter.actionId !== undefined ? { actionId: filter.actionId } : {}),
      ...(filter.types !== undefined ? { types: filter.types } : {}),
    });
    // Only full pages are stable (a short one may still grow).
    if (page.length === this.replayPageSize) {
      this.pageCache.set(key, page);
      if (this.pageCache.size > PAGE_CACHE) {
        this.pageCache.delete(this.pageCache.keys().next().value as string);
      }
    }
    return page;
  }

  private readonly pageCache = new Map<string, EventRecord[]>();
  private readonly framedCache = new Map<string, FramedPage>();
  /** Size of the last page read from the store and framed (what the next one will roughly cost). */
  private lastPageBytes = 0;
  private framedBytes = 0;

  /**
   * A replay page after `seq`, framed: from the cache of framed pages when
   * another replay of the range read it, else read, framed and (when full,
   * hence stable) kept, oldest out first past the byte budget.
   */
  readFramed(
    seq: number,
    filter: EventFilter,
    frame: (batch: EventRecord[]) => Uint8Array,
  ): FramedPage {
    const key = pageKey(seq, filter);
    const hit = this.framedCache.get(key);
    if (hit) return hit;
    const events = this.readAfter(seq, filter);
    const page = {
      bytes: events.length > 0 ? frame(events) : EMPTY,
      last: events.length > 0 ? events[events.length - 1]!.seq : seq,
      count: events.length,
    };
    this.lastPageBytes = page.bytes.byteLength;
    if (events.length === this.replayPageSize) {
      this.framedCache.set(key, page);
      this.framedBytes += page.bytes.byteLength;
      const budget = this.opts.framedCacheBytes ?? 32 * 1024 * 1024;
      while (this.framedBytes > budget && this.framedCache.size > 1) {
        const [k, old] = this.framedCache.entries().next().value as [string, FramedPage];
        this.framedCache.delete(k);
        this.framedBytes -= old.bytes.byteLength;
      }
    }
    return page;
  }
  private turns: Array<{ key: string; go: () => void }> = [];
  private turning = false;

  /**
   * Resolves when this replay may read its next page. Per turn of the event
   * loop (setImmediate), every replay whose page is already cached goes
   * (cheap: shared bytes), but at most one that must read the store: however
   * many replays run, the loop polls I/O (a govern, a heartbeat) between any
   * two page reads.
   */
  replayTurn(cursor: number, filter: EventFilter): Promise<void> {
    return new Promise((go) => {
      this.turns.push({ key: pageKey(cursor, filter), go });
      if (!this.turning) {
        this.turning = true;
        setImmediate(() => this.nextTurn());
      }
    });
  }

  /** Replay bytes that may still be sent now (a token bucket of up to 100 ms of the rate). */
  private allowance = 0;
  private refilledAt = 0;

  private nextTurn(): void {
    const rate = this.opts.replayBytesPerSec ?? 0;
    if (rate > 0) {
      const now = performance.now();
      this.allowance = Math.min(
        rate / 10,
        this.allowance + ((now - this.refilledAt) * rate) / 1000,
      );
      this.refilledAt = now;
    }
    let read = false;
    const waiting: typeof this.turns = [];
    for (const t of this.turns) {
      const framed = this.framedCache.get(t.key);
      if (rate > 0 && this.allowance <= 0) waiting.push(t);
      else if (framed || this.pageCache.has(t.key)) {
        if (framed) this.allowance -= framed.bytes.byteLength;
        t.go();
      } else if (!read) {
        read = true;
        this.allowance -= this.lastPageBytes;
        t.go();
      } else waiting.push(t);
    }
    this.turns = waiting;
    if (waiting.length === 0) {
      this.turning = false;
      return;
    }
    if (rate > 0 && this.allowance <= 0) {
      setTimeout(() => this.nextTurn(), Math.max(1, (-this.allowance / rate) * 1000));
    } else setImmediate(() => this.nextTurn());
  }

  /**
   * Subscribe from `after` (replay events with a greater seq, then live), or
   * from now when `after` is null. Throws ReplayCapacityError when a replay
   * is asked for and maxReplays are running.
   */
  subscribe(after: number | null, filter: EventFilter = {}): Subscription {
    this.pump();
    const live = after === null || after >= this.lastSeq;
    if (!live && !this.stopped && this.replaying.size >= this.maxReplays) {
      throw new ReplayCapacityError(this.maxReplays);
    }
    const sub = live
      ? new Subscription(this, Math.max(after ?? this.lastSeq, this.lastSeq), filter, false)
      : new Subscription(this, Math.max(0, after), filter, true);
    if (this.stopped) sub.close();
    else {
      this.subs.add(sub);
      if (!live) this.replaying.add(sub);
    }
    return sub;
  }

  /** True when subscribing from `after` would start a replay and maxReplays are running. */
  replayFull(after: number | null): boolean {
    this.pump();
    const live = after === null || after >= this.lastSeq;
    return !live && !this.stopped && this.replaying.size >= this.maxReplays;
  }

  /** Replays running now. */
  get replays(): number {
    return this.replaying.size;
  }

  /** A subscription finished (or abandoned) its replay. */
  replayDone(sub: Subscription): void {
    this.replaying.delete(sub);
  }

  unsubscribe(sub: Subscription): void {
    this.subs.delete(sub);
  }

  /** Stop polling and end every subscription (their streams close). */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.unwatch?.();
    for (const s of [...this.subs]) s.close();
  }
}
