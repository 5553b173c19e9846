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
