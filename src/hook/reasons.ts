// What each DHCP client reason means for srcroute: a lease is present (up), gone (down), or the
// event says nothing about the IPv4 lease (ignore). dhcpcd and ISC dhclient share these words;
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

export type ActiveReason = keyof typeof ACTIONS;

/** The reasons that make srcroute act, in table order (hooks/ and the docs list the same). */
export const ACTIVE_REASONS = Object.keys(ACTIONS) as ActiveReason[];

export function actionOf(reason: string, hasNewAddress: boolean): Action {
  const action: Action = Object.hasOwn(ACTIONS, reason) ? ACTIONS[reason as ActiveReason] : 'ignore';
  return reason === 'TIMEOUT' && !hasNewAddress ? 'ignore' : action;
}
