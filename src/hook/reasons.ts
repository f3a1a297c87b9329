// What each DHCP client reason means for srcroute: a lease is present (up), gone (down), or the
// event says nothing srcroute routes (ignored); and for which address family. hooks/ filters the
// same list in sh so that ignored events never start Node.
import type { Family } from '../kernel/kernel.js';

/**
 * A reason srcroute acts on: the family it is about, and whether that family's lease is present (up) or gone (down).
 */
export interface Meaning {
  family: Family;
  action: 'up' | 'down';
}

/**
 * One table for both families. dhcpcd and ISC dhclient share these words (dhclient -6 has no
 * ROUTERADVERT, dhcpcd no per-address calls). TIMEOUT: dhcpcd and dhclient reuse an old lease;
 * only with new_ip_address (see meaningOf). ROUTERADVERT (dhcpcd only) carries the interface's
 * whole current RA set, so it is an `up` that may well say "no router" (then everything of the
 * family goes). PREINIT6, INFORM6, DEPREF6 and DELEGATED6 say nothing about the interface's own
 * addresses or router.
 */
const REASONS = {
  BOUND: [4, 'up'],
  RENEW: [4, 'up'],
  REBIND: [4, 'up'],
  REBOOT: [4, 'up'],
  INFORM: [4, 'up'],
  STATIC: [4, 'up'],
  TIMEOUT: [4, 'up'],
  EXPIRE: [4, 'down'],
  EXPIRED: [4, 'down'],
  NAK: [4, 'down'],
  FAIL: [4, 'down'],
  RELEASE: [4, 'down'],
  STOP: [4, 'down'],
  STOPPED: [4, 'down'],
  DEPARTED: [4, 'down'],
  NOCARRIER: [4, 'down'],
  ROUTERADVERT: [6, 'up'],
  BOUND6: [6, 'up'],
  RENEW6: [6, 'up'],
  REBIND6: [6, 'up'],
  REBOOT6: [6, 'up'],
  EXPIRE6: [6, 'down'],
  RELEASE6: [6, 'down'],
  STOP6: [6, 'down'],
} as const satisfies Record<string, readonly [Family, Meaning['action']]>;

/** IPv4 reasons that end the link, and with it IPv6 too (dhcpcd sends no *6 reason for them). */
export const LINK_DOWN: readonly string[] = ['NOCARRIER', 'STOPPED', 'DEPARTED'];

export type ActiveReason = keyof typeof REASONS;

/** The reasons that make srcroute act, in table order (hooks/ and the docs list the same). */
export const ACTIVE_REASONS = Object.keys(REASONS) as ActiveReason[];

/** What `reason` means, or null when srcroute ignores it (a TIMEOUT without a new address too). */
export function meaningOf(reason: string, hasNewAddress: boolean): Meaning | null {
  if (!Object.hasOwn(REASONS, reason) || (reason === 'TIMEOUT' && !hasNewAddress)) return null;
  const [family, action] = REASONS[reason as ActiveReason];
  return { family, action };
}
