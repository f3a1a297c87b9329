// What check reports: one problem, the interface it is about, and the commands that fix it. A
// module of its own so that every judge (diagnose.ts, forward-check.ts) speaks it without
// importing another.
export interface Finding {
  /** A stable key for scripts and tests: `rule-missing`, `rp-filter`, … */
  id: string;
  iface: string | null;
  problem: string;
  fix: string[];
}
