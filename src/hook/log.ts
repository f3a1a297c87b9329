// Every line srcroute writes names the interface and the reason, so that an admin reading
// syslog (where the hooks in hooks/ send srcroute's stderr) sees which lease did what.
import { isInterfaceName, isReasonWord } from './event.js';
import type { Env } from './env.js';

/** `srcroute[eth0v0] BOUND`, or less when the environment's words cannot be trusted in a log. */
export function tagOf(env: Env): string {
  const iface = env.interface !== undefined && isInterfaceName(env.interface) ? `[${env.interface}]` : '';
  const reason = env.reason !== undefined && isReasonWord(env.reason) ? ` ${env.reason}` : '';
  return `srcroute${iface}${reason}`;
}
