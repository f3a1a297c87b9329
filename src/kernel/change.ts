// One change to the kernel, as srcroute plans it (hook/plan.ts) and ip(8) applies it
// (kernel/ip.ts): kept in the kernel layer so the runner needs nothing from the hook.
export interface Change {
  /** Arguments to ip(8), one `ip -batch` line. */
  argv: string[];
  /** What it does, for the log: `rule from 100.64.0.50 lookup pub pref 1000 added`. */
  says: string;
  /** A delete whose object may vanish first (the kernel flushes routes with the last address). */
  mayBeGone?: true;
}
