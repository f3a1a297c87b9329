// The DHCP client's environment -> one typed, validated lease event. dhcpcd and ISC dhclient
// export the same variable names (dhclient: a netmask but no CIDR, its own classless encoding).
// Every variable srcroute reads is checked here, old_* included, before anything is changed:
// values come off the wire and feed root's `ip` commands.
import { LINK_DOWN, meaningOf } from './reasons.js';
import { readNews6 } from './event6.js';
import type { Env } from './env.js';
import type { Lease, Wants } from './want.js';
import {
  ClasslessSyntaxError, classlessDefault, parseDhclientClassless, parseDhcpcdClassless, type ClasslessRoute,
} from './classless.js';
import { InputError, shown } from '../shared/errors.js';
import { formatIPv4, inSubnet, isUnicast, maskOf, networkOf, parseIPv4, prefixOfMask } from '../shared/ipv4.js';

/**
 * One event: ignored, or what it wants of each address family it concerns (IPv4: the lease, or
 * its end, which also ends IPv6 when the link goes; IPv6: the addresses and router it tells of).
 * `warnings`: what the hook logs once the lease is routed.
 */
export type HookEvent =
  | { action: 'ignore'; reason: string }
  | { action: 'follow'; reason: string; iface: string; wants: Wants; warnings: string[] };

/** Interface names as the kernel takes them, minus what no macvlan needs and a shell fears. */
const INTERFACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
// dhcpcd has a reason that starts with a digit (3RDPARTY); it is ignored, not invalid.
const REASON = /^[A-Z0-9][A-Z0-9_]{0,31}$/;
const CIDR = /^(3[0-2]|[12]?[0-9])$/;

/** A word that can be a DHCP client's reason (dhcpcd has one starting with a digit: 3RDPARTY). */
export function isReasonWord(reason: string): boolean {
  return REASON.test(reason);
}

export function isInterfaceName(name: string): boolean {
  return INTERFACE.test(name);
}

/** Throws InputError unless `name` is a plain interface name; `what` names its source. */
export function checkInterface(name: string | undefined, what = 'interface'): string {
  if (name === undefined || name === '') throw new InputError(`${what} is not set`);
  if (!isInterfaceName(name)) {
    throw new InputError(`invalid ${what} ${shown(name)}: 1-15 of A-Z a-z 0-9 _ . -, not starting with . or -`);
  }
  return name;
}

type Kind = 'address' | 'addresses' | 'cidr' | 'mask' | 'dhcpcd-classless' | 'dhclient-classless';
type Parsed = number | number[] | ClasslessRoute[];

/** Every lease variable srcroute reads, without its new_/old_ prefix. */
const LEASE_VARS = {
  ip_address: 'address',
  subnet_cidr: 'cidr',
  subnet_mask: 'mask',
  routers: 'addresses',
  router: 'addresses', // not a dhcpcd variable; old guides use it
  classless_static_routes: 'dhcpcd-classless',
  rfc3442_classless_static_routes: 'dhclient-classless',
} as const satisfies Record<string, Kind>;

type LeaseVar = keyof typeof LEASE_VARS;
type LeaseVars = Partial<Record<LeaseVar, Parsed>>;

function parseAs(kind: Kind, name: string, value: string): Parsed {
  const bad = (why: string): never => {
    throw new InputError(`invalid ${name} ${shown(value)}: ${why}`);
  };
  const address = (text: string): number => parseIPv4(text) ?? bad('not a dotted-quad IPv4 address');
  switch (kind) {
    case 'address':
      return address(value);
    case 'addresses':
      return value.split(' ').map(address);
    case 'cidr':
      return CIDR.test(value) ? Number(value) : bad('not a prefix length 0-32');
    case 'mask':
      return prefixOfMask(address(value)) ?? bad('not a contiguous netmask');
    case 'dhcpcd-classless':
    case 'dhclient-classless':
      try {
        return kind === 'dhcpcd-classless' ? parseDhcpcdClassless(value) : parseDhclientClassless(value);
      } catch (e) {
        if (e instanceof ClasslessSyntaxError) return bad(e.message);
        throw e;
      }
  }
}

function leaseVars(env: Env, side: 'new' | 'old'): LeaseVars {
  const vars: LeaseVars = {};
  for (const [key, kind] of Object.entries(LEASE_VARS) as [LeaseVar, Kind][]) {
    const name = `${side}_${key}`;
    const value = env[name];
    if (value !== undefined) vars[key] = parseAs(kind, name, value);
  }
  return vars;
}

/** Turn validated new_* variables into the lease srcroute routes for. */
function leaseOf(vars: LeaseVars, warnings: string[]): Lease {
  const address = vars.ip_address as number | undefined;
  if (address === undefined) throw new InputError('new_ip_address is not set');
  if (!isUnicast(address))
    throw new InputError(`invalid new_ip_address ${shown(formatIPv4(address))}: not a unicast address`);

  const prefix = (vars.subnet_cidr ?? vars.subnet_mask) as number | undefined;
  if (prefix === undefined) throw new InputError('neither new_subnet_cidr nor new_subnet_mask is set');
  if (prefix < 1) {
    const name = vars.subnet_cidr !== undefined ? 'new_subnet_cidr' : 'new_subnet_mask';
    throw new InputError(
      `invalid ${name} ${shown(name === 'new_subnet_cidr' ? '0' : '0.0.0.0')}: a lease needs a prefix length of 1-32`,
    );
  }

  const routers = (vars.routers ?? vars.router ?? []) as number[];
  const classless = (vars.classless_static_routes ?? vars.rfc3442_classless_static_routes) as
    ClasslessRoute[] | undefined;
  const fromClassless = classless && classlessDefault(classless);
  const gateway = fromClassless ?? routers[0];
  if (gateway === undefined) throw new InputError('no gateway: new_routers is not set and no classless default route');
  if (fromClassless === undefined && routers.length > 1) {
    warnings.push(
      `using the first of ${routers.length} routers, ignoring ${routers.slice(1).map(formatIPv4).join(' ')}`,
    );
  }
  if (fromClassless === 0) return { address: formatIPv4(address), prefix, gateway: null, onlink: false };

  const name =
    fromClassless === undefined
      ? 'new_routers'
      : `${vars.classless_static_routes ? 'new_classless_static_routes' : 'new_rfc3442_classless_static_routes'} ` +
        `default gateway`;
  const why = gatewayProblem(gateway, address, prefix);
  if (why) throw new InputError(`invalid ${name} ${shown(formatIPv4(gateway))}: ${why}`);
  const onlink = prefix === 32 || !inSubnet(gateway, address, prefix);
  return { address: formatIPv4(address), prefix, gateway: formatIPv4(gateway), onlink };
}

function gatewayProblem(gateway: number, address: number, prefix: number): string | null {
  if (!isUnicast(gateway)) return 'not a unicast address';
  if (gateway === address) return 'it is the leased address itself';
  if (prefix <= 30 && inSubnet(gateway, address, prefix)) {
    const net = networkOf(address, prefix);
    if (gateway === net || gateway === (net | ~maskOf(prefix)) >>> 0)
      return "it is the subnet's network or broadcast address";
  }
  return null;
}

export function readEvent(env: Env): HookEvent {
  const reason = env.reason;
  if (reason === undefined || reason === '') {
    throw new InputError('reason is not set: srcroute runs as a DHCP client hook (see srcroute --help)');
  }
  if (!isReasonWord(reason)) throw new InputError(`invalid reason ${shown(reason)}`);
  const meaning = meaningOf(reason, env.new_ip_address !== undefined);
  if (meaning === null) return { action: 'ignore', reason };
  const iface = checkInterface(env.interface);
  const warnings: string[] = [];
  const follow = (wants: Wants): HookEvent => ({ action: 'follow', reason, iface, wants, warnings });
  if (meaning.family === 6) return follow({ 6: { kind: 'follow', news: readNews6(env, reason, meaning.action) } });
  const fresh = leaseVars(env, 'new');
  leaseVars(env, 'old'); // validated, not needed: srcroute converges on the kernel's state
  if (meaning.action === 'up') return follow({ 4: { kind: 'lease', lease: leaseOf(fresh, warnings) } });
  return follow({ 4: { kind: 'ended' }, ...(LINK_DOWN.includes(reason) ? { 6: { kind: 'nothing' as const } } : {}) });
}
