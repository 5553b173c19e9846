// What replicas coordinate through. Two primitives:
// - claim(action, slot): one winner per (action, slot) among every replica, and never a slot
//   older than one already fired ("monotonic"), so a replica that wakes up late cannot fire a
//   slot another replica has already fired;
// - leases: a named, owned, expiring lock (the "running" lease of overlap: skip), renewed while
//   held; a killed replica's lease expires after its TTL.

export interface Lease {
  /** Extends the lease by its TTL; false when it was lost (expired and taken by another owner). */
  renew(): Promise<boolean>;
  /** Releases it if still ours (compare-and-delete). */
  release(): Promise<void>;
}

export interface SchedulerLock {
  /** `memory`, `redis` or `postgres`, for the start-up log and `validate`. */
  readonly kind: string;
  /** Where (redacted URL or a description). */
  readonly where: string;
  /** Prepares the backend (tables, connection). */
  open(): Promise<void>;
  /** True for exactly one caller per (action, slot), and false for slots older than one already claimed. */
  claim(action: string, slot: number): Promise<boolean>;
  /** Takes the lease `key` for `ttlMs` if nobody holds it; undefined when taken. */
  acquire(key: string, ttlMs: number): Promise<Lease | undefined>;
  close(): Promise<void>;
  // Optional, for the operations console (plugins/console): a history of runs and pause flags,
  // kept in the same store. A backend without them has no history, and nothing can be paused.
  /** Stores one run; trims the action's history to `retention`. */
  recordRun?(run: ActionRun, retention: HistoryRetention): Promise<void>;
  /** The action's runs, newest first (slot before `before`, when given). */
  runs?(action: string, options: { limit: number; before?: number }): Promise<ActionRun[]>;
  /** Pauses (`pause` given) or resumes an action for every replica. */
  setPaused?(action: string, pause: ActionPause | undefined): Promise<void>;
  /** Every paused action. Each replica reads it before firing a slot. */
  pauses?(): Promise<Record<string, ActionPause>>;
}

/** One run of a scheduled action, as the history keeps it. */
export interface ActionRun {
  action: string;
  /** The slot (epoch ms); for a run started by hand, when it was asked for. */
  slot: number;
  /** `schedule`, `catch-up` (the slot fired at start) or `manual` (run now). */
  trigger: 'schedule' | 'catch-up' | 'manual';
  outcome: 'ok' | 'failed' | 'timeout' | 'aborted' | 'skipped';
  firedAt?: number;
  lagMs?: number;
  durationMs?: number;
  /** The process that ran it (replicaId()). */
  replica: string;
  reason?: string;
  /** The error's message, when it failed. */
  error?: string;
  /** Who asked for a manual run. */
  by?: string;
}

export interface ActionPause {
  /** Who paused it. */
  by?: string;
  /** When (epoch ms). */
  at: number;
}

/** How much history a backend keeps per action: the newest `perAction` runs no older than `maxAgeMs`. */
export interface HistoryRetention {
  perAction: number;
  maxAgeMs: number;
}

export const DEFAULT_HISTORY_RETENTION: HistoryRetention = { perAction: 500, maxAgeMs: 7 * 24 * 60 * 60 * 1000 };

/** `scheduler.history` of service.yaml with its defaults. */
export function historyRetention(history: { runs?: number; maxAgeMs?: number } | undefined): HistoryRetention {
  return { perAction: history?.runs ?? DEFAULT_HISTORY_RETENTION.perAction, maxAgeMs: history?.maxAgeMs ?? DEFAULT_HISTORY_RETENTION.maxAgeMs };
}

/**
 * The capability name under which a plugin offers a lock backend: its setup() returns
 * `provides: { [SCHEDULER_LOCK_CAPABILITY]: provider }`. The scheduler looks at every declared
 * plugin's provider; the host itself has no lock driver (only memory://).
 */
export const SCHEDULER_LOCK_CAPABILITY = 'jararaca.scheduler-lock';

/** What a plugin provides under SCHEDULER_LOCK_CAPABILITY. */
export interface SchedulerLockProvider {
  /** The backend (`redis`, `postgres`...), as SchedulerLock.kind: for the start-up log and `validate`. */
  readonly kind: string;
  /** The `scheduler.lock` URL schemes it serves, lower case, without ':' (`['redis', 'rediss']`). */
  readonly schemes: readonly string[];
  /**
   * Set when the provider also offers a lock with no `scheduler.lock` (on what its plugin already
   * has: knex-session's PostgreSQL database): why, for the start-up log. The first declared
   * plugin offering one is used.
   */
  readonly defaultReason?: string;
  /**
   * Builds the lock, for `scheduler.lock` = `url`, or with no url the default it offers. Must not
   * connect (`validate` builds none, the role calls open() then close(); close() without open() is harmless).
   */
  create(options: { url?: string; service: string }): SchedulerLock;
}
