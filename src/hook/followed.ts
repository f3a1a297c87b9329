// The hook's one look, after the kernel followed an event, at whether the admin's scripts in
// hooks.d must hear of it: the addresses srcroute routes for the interface and family, and the
// gateway, as one line, against the first line of IFACE.hooks4 / IFACE.hooks6 in the state dir.
// Equal (every RENEW, every repeated RA): one small read and nothing else; notify.ts is not even
// loaded (the bench counts every step of BOUND and RENEW: docs/performance.md). Different: notify.ts decides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANY, type Family } from '../kernel/kernel.js';
import { hostOrPrefix } from '../shared/prefix.js';
import type { Report } from './apply.js';
import type { Desired, Followed } from './want.js';
import type { Starter } from './notify.js';


/** Told after each round that changed nothing or something; never throws. */
export type Notifier = (f: Followed, report: Report) => Promise<void>;

/** Where the memory is (the state dir), /proc/net/if_inet6, what starts the scripts (hooks-spawn.ts, when needed). */
export interface NotifierPlaces {
  stateDir: string;
  ifInet6: string;
  starter: Starter;
}

/**
 * The routed addresses (sorted, each once: an address has a block of rules) and the gateway of the family's default.
 */
export function routedOf(desired: Desired, family: Family): { addresses: string[]; gateway: string } {
  const gateway = desired.routes.find((r) => r.dst === ANY[family])?.gateway ?? '';
  const addresses = new Set(desired.rules.filter((r) => r.from !== ANY[family]).map((r) => hostOrPrefix(r.from)));
  return { addresses: [...addresses].sort(), gateway };
}

export function hooksNotifier(places: NotifierPlaces): Notifier {
  return async (f, report) => {
    try {
      const routed = routedOf(f.desired, f.family);
      const none = routed.addresses.length === 0 && routed.gateway === '';
      const key = none ? '' : `${routed.addresses.join(' ')} via ${routed.gateway}`;
      const memoryPath = join(places.stateDir, `${f.iface}.hooks${f.family}`);
      let memory = '';
      try {
        // utf8: Node's reader for it has run already (its module loader's); latin1 took 0.36 M instructions more
        memory = readFileSync(memoryPath, 'utf8');
      } catch {
        // nothing told yet on this boot
      }
      if (memory.split('\n', 1)[0] === key) return;
      const { notify } = await import('./notify.js');
      await notify(f, routed, key, memory, { memoryPath, ifInet6: places.ifInet6, starter: places.starter }, report);
    } catch (e) {
      report.log(`${report.tag}: warning: hooks.d not told: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
