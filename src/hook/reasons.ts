// What each DHCP client reason means for srcroute: a lease is present (up), gone (down), or the
// event says nothing srcroute routes (ignore); and for which address family. dhcpcd and ISC
// dhclient share these words (dhclient -6 has no ROUTERADVERT, dhcpcd no per-address calls);
// hooks/ filters the same list in sh so that ignored events never start Node.

export type Action = 'up' | 'down' | 'ignore';

const ACTIONS = {
  BOUND: 'up',
  RENEW: 'up',
  REBIND: 'up',
  REBOOT: 'up',
  INFORM: 'up',
  STATIC: 'up',
  TIMEOUT: 'up', // dhcpcd and dhclient reuse an old lease; only with new_ip_address (see below)
  EXPIRE: 'down',
  EXPIRED: 'down',
  NAK: 'down',
  FAIL: 'down',
  RELEASE: 'down',
  STOP: 'down',
  STOPPED: 'down',
  DEPARTED: 'down',
  NOCARRIER: 'down',
} as const satisfies Record<string, Exclude<Action, 'ignore'>>;

/**
 * The IPv6 reasons. ROUTERADVERT (dhcpcd only) carries the interface's whole current RA set, so
 * it is an `up` that may well say "no router" (then everything of the family goes). PREINIT6,
 * INFORM6, DEPREF6 and DELEGATED6 say nothing about the interface's own addresses or router.
 */
const ACTIONS6 = {
  ROUTERADVERT: 'up',
  BOUND6: 'up',
  RENEW6: 'up',
  REBIND6: 'up',
  REBOOT6: 'up',
  EXPIRE6: 'down',
  RELEASE6: 'down',
  STOP6: 'down',
} as const satisfies Record<string, Exclude<Action, 'ignore'>>;

/** IPv4 reasons that end the link, and with it IPv6 too (dhcpcd sends no *6 reason for them). */
export const LINK_DOWN: readonly string[] = ['NOCARRIER', 'STOPPED', 'DEPARTED'];

export type ActiveReason = keyof typeof ACTIONS | keyof typeof ACTIONS6;

/** The reasons that make srcroute act, in table order (hooks/ and the docs list the same). */
export const ACTIVE_REASONS = [...Object.keys(ACTIONS), ...Object.keys(ACTIONS6)] as ActiveReason[];

export function actionOf(reason: string, hasNewAddress: boolean): Action {
  const action: Action = Object.hasOwn(ACTIONS, reason) ? ACTIONS[reason as keyof typeof ACTIONS] : 'ignore';
  return reason === 'TIMEOUT' && !hasNewAddress ? 'ignore' : action;
}

/** The action of an IPv6 reason, or null when `reason` is not one. */
export function action6Of(reason: string): Exclude<Action, 'ignore'> | null {
  return Object.hasOwn(ACTIONS6, reason) ? ACTIONS6[reason as keyof typeof ACTIONS6] : null;
}
