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
