// The environment of the admin's scripts in hooks.d, the only thing they are handed: these
// variables and a fixed PATH, nothing of the DHCP client's (its variables are the client's, and
// may be anyone's DHCP server's words). The hook builds it from what it validated; the runner
// (run-hooks.ts) receives it from the hook and checks every value again before a script sees it.
import { InputError, shown } from '../shared/errors.js';
import { parseIPv4 } from '../shared/ipv4.js';
import { parseIPv6 } from '../shared/ipv6.js';
import { isInterfaceName, isReasonWord } from './event.js';
import type { Env } from './env.js';
import type { Followed } from './want.js';
import type { Call } from './notify.js';

/** The PATH the scripts get (Debian's root PATH), whatever the DHCP client's was. */
export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variables, in the order docs/hooks.md lists them. */
export const CALL_VARS = [
  'SRCROUTE_IFACE',
  'SRCROUTE_FAMILY',
  'SRCROUTE_REASON',
  'SRCROUTE_OLD_ADDRESS',
  'SRCROUTE_NEW_ADDRESS',
  'SRCROUTE_OLD_GATEWAY',
  'SRCROUTE_GATEWAY',
  'SRCROUTE_TABLE',
] as const;

export type CallEnv = Record<(typeof CALL_VARS)[number], string>;

/** What a notification tells the scripts; addresses space-separated (IPv4: at most one). */
export function callEnv(f: Followed, call: Call): CallEnv {
  return {
    SRCROUTE_IFACE: f.iface,
    SRCROUTE_FAMILY: String(f.family),
    SRCROUTE_REASON: f.reason,
    SRCROUTE_OLD_ADDRESS: call.old.addresses.join(' '),
    SRCROUTE_NEW_ADDRESS: call.now.addresses.join(' '),
    SRCROUTE_OLD_GATEWAY: call.old.gateway,
    SRCROUTE_GATEWAY: call.now.gateway,
    SRCROUTE_TABLE: String(f.table),
  };
}

/** Each value checked as the hook checked it; the first that is not is an InputError. */
export function readCallEnv(env: Env): CallEnv {
  const family = env.SRCROUTE_FAMILY;
  const isAddress = (a: string): boolean => (family === '4' ? parseIPv4(a) : parseIPv6(a)) !== null;
  const checks: Record<keyof CallEnv, (v: string) => boolean> = {
    SRCROUTE_IFACE: isInterfaceName,
    SRCROUTE_FAMILY: (v) => v === '4' || v === '6',
    SRCROUTE_REASON: isReasonWord,
    SRCROUTE_OLD_ADDRESS: (v) => v === '' || v.split(' ').every(isAddress),
    SRCROUTE_NEW_ADDRESS: (v) => v === '' || v.split(' ').every(isAddress),
    SRCROUTE_OLD_GATEWAY: (v) => v === '' || isAddress(v),
    SRCROUTE_GATEWAY: (v) => v === '' || isAddress(v),
    SRCROUTE_TABLE: (v) => /^[1-9][0-9]{0,9}$/.test(v) && Number(v) < 2 ** 32,
  };
  const out = {} as CallEnv;
  for (const name of CALL_VARS) {
    const value = env[name] ?? '';
    if (!checks[name](value)) throw new InputError(`${name}=${shown(value)} is not what srcroute hands hooks.d`);
    out[name] = value;
  }
  return out;
}
