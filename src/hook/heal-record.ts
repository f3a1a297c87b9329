// What `srcroute heal` remembers of one interface between its runs: when it restored the
// interface's rules and routes lately, and whether it stopped (the back-off). One small file per
// interface in srcroute's state directory (/run/srcroute/heal-IFACE: a tmpfs, so a reboot
// forgets it, as it forgets the rules). The hook loads this module on every lease event only to
// forget the record (clearRecord): one unlink(2), which fails with ENOENT when there is none, so
// a RENEW with no back-off writes nothing (measured with strace: docs/how-it-works.md). The
// accounting itself is pure (account), and table-driven tests drive it.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** After this many restorations within WINDOW_MS, the next one is not made: something keeps deleting them. */
export const BACKOFF = { restorations: 3, windowMs: 10 * 60_000 } as const;

export interface HealRecord {
  /** When heal restored something lately (ms since the epoch), oldest first. */
  restored: number[];
  /** heal stopped restoring this interface; the next lease event or `srcroute sync` resets it. */
  backedOff: boolean;
  /** The parts found missing the last time (plan.ts's Part: rule, local, default, connected; nft: FORWARD's table). */
  parts: string[];
}

/** What heal does about an interface whose plan is not empty. */
export type HealAct = 'restore' | 'back-off' | 'hold';

export const recordPath = (stateDir: string, iface: string): string => join(stateDir, `heal-${iface}`);

/** A lease event or sync: heal restores this interface again. Only a file that exists is removed. */
export function clearRecord(stateDir: string, iface: string): void {
  try {
    unlinkSync(recordPath(stateDir, iface));
  } catch {
    // none (ENOENT: the usual case), or a state dir that is not there yet: nothing to forget
  }
}

/**
 * The plan found `parts` missing at `now`: restore, or stop (once: `back-off`, which heal says),
 * or stay stopped (`hold`, silent). Restorations older than the window no longer count.
 */
export function account(
  record: HealRecord | null,
  parts: readonly string[],
  now: number,
): { act: HealAct; record: HealRecord } {
  const before = record ?? { restored: [], backedOff: false, parts: [] };
  if (before.backedOff) return { act: 'hold', record: before };
  const recent = before.restored.filter((t) => t <= now && now - t < BACKOFF.windowMs);
  if (recent.length >= BACKOFF.restorations) {
    return { act: 'back-off', record: { restored: recent, backedOff: true, parts: [...parts] } };
  }
  return { act: 'restore', record: { restored: [...recent, now], backedOff: false, parts: [...parts] } };
}

/** A record as the file holds it, or null for anything else (a torn or foreign file counts as none). */
export function parseRecord(text: string | null): HealRecord | null {
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Partial<HealRecord>;
    const numbers = Array.isArray(r.restored) && r.restored.every((t) => typeof t === 'number');
    const words = Array.isArray(r.parts) && r.parts.every((p) => typeof p === 'string');
    if (!numbers || !words || typeof r.backedOff !== 'boolean') return null;
    return { restored: r.restored!, backedOff: r.backedOff, parts: r.parts! };
  } catch {
    return null;
  }
}
