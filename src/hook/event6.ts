// An IPv6 event's environment -> what it tells about the interface, validated. Each event
// carries one source only (recorded: test/fixtures/dhcpcd6-*, dhclient6-*):
//  - dhcpcd ROUTERADVERT: the interface's whole current RA set, nd1_* … ndN_* (nd1 can be an
//    old router with lifetime 0; no nd* at all means no router is left);
//  - dhcpcd BOUND6/RENEW6/REBIND6/REBOOT6: the whole IA_NA set, new_dhcp6_ia_naI_ia_addrJ, each
//    a bare /128 (old_* beside it on a renewal); EXPIRE6/RELEASE6/STOP6 have old_* only;
//  - dhclient -6: one call per address, new_ip6_address (+ new_ip6_prefixlen), old_ip6_address.
// Every nd*, *_dhcp6_* and *_ip6_* variable is checked for shell text, even those srcroute does
// not use: they are root's environment, and refusing them all keeps the rule simple to audit.
import type { Env } from './env.js';
import type { Advert, News6 } from './want.js';
import { InputError, shown } from '../shared/errors.js';
import { formatIPv6, isLinkLocal, networkOf6, notGlobalUnicast, parseIPv6 } from '../shared/ipv6.js';

/** Which variables are IPv6 event data: each must be plain text. */
const V6_VARIABLE = /^(nd[0-9]+_|(new|old)_dhcp6_|(new|old)_ip6_)/;
/** Plain text: what addresses, numbers, flags, DUIDs and domain lists are made of. */
const PLAIN = /^[A-Za-z0-9 _.,:/+=@-]{0,1024}$/;
const UINT = /^(0|[1-9][0-9]{0,9})$/;
const FLAGS = /^[A-Z]{0,8}$/;
const IA_ADDR = /^(new|old)_dhcp6_ia_(na|ta)[0-9]+_ia_addr[0-9]+$/;

function bad(name: string, value: string, why: string): never {
  throw new InputError(`invalid ${name} ${shown(value)}: ${why}`);
}

function uint(env: Env, name: string): number | null {
  const value = env[name];
  if (value === undefined) return null;
  return UINT.test(value) && Number(value) <= 0xffffffff ? Number(value) : bad(name, value, 'not a whole number');
}

/** A global unicast address (or, for a router, a link-local one); `/LEN` only where allowed. */
function address(
  name: string,
  value: string,
  opts: { length: 'none' | 'optional'; router?: boolean },
): { text: string; length: number | null } {
  if (value.includes('%')) bad(name, value, 'a zoned address');
  const slash = value.indexOf('/');
  if (slash !== -1 && opts.length === 'none') bad(name, value, 'a prefix length on an address that has none');
  const text = slash === -1 ? value : value.slice(0, slash);
  const lenText = slash === -1 ? null : value.slice(slash + 1);
  const length =
    lenText === null
      ? null
      : UINT.test(lenText) && Number(lenText) >= 1 && Number(lenText) <= 128
        ? Number(lenText)
        : bad(name, value, 'not a prefix length 1-128');
  const parsed = parseIPv6(text) ?? bad(name, value, 'not an IPv6 address');
  const why = notGlobalUnicast(parsed);
  if (why !== null && !(opts.router && isLinkLocal(parsed))) bad(name, value, why);
  return { text: formatIPv6(parsed), length };
}

/** dhcpcd's ndN_* variables, router by router. */
function advertOf(env: Env, held: string[]): Advert {
  const advert: Advert = { router: null, onlink: [] };
  for (let i = 1; env[`nd${i}_from`] !== undefined; i++) {
    const from = address(`nd${i}_from`, env[`nd${i}_from`]!, { length: 'none', router: true }).text;
    if (advert.router === null && (uint(env, `nd${i}_lifetime`) ?? 0) > 0) advert.router = from;
    for (const n of ['acquired', 'now']) uint(env, `nd${i}_${n}`);
    for (let j = 1; env[`nd${i}_addr${j}`] !== undefined; j++) {
      held.push(address(`nd${i}_addr${j}`, env[`nd${i}_addr${j}`]!, { length: 'optional' }).text);
    }
    for (let j = 1; ; j++) {
      const key = `nd${i}_prefix_information${j}`;
      const value = env[`${key}_prefix`];
      if (value === undefined) break;
      const length = uint(env, `${key}_length`);
      if (length === null || length < 1 || length > 128)
        bad(`${key}_length`, env[`${key}_length`] ?? '', 'not a prefix length 1-128');
      const flags = env[`${key}_flags`] ?? '';
      if (!FLAGS.test(flags)) bad(`${key}_flags`, flags, 'not prefix flags (letters such as LA)');
      const prefix = parseIPv6(address(`${key}_prefix`, value, { length: 'none' }).text)!;
      const net = `${formatIPv6(networkOf6(prefix, length))}/${length}`;
      uint(env, `${key}_pltime`);
      if ((uint(env, `${key}_vltime`) ?? 0) > 0 && flags.includes('L')) advert.onlink.push(net);
    }
  }
  return advert;
}

/** Addresses a DHCPv6 event names on one side (new_ or old_), split by valid lifetime left. */
function leased(env: Env, side: 'new' | 'old'): { alive: string[]; dead: string[] } {
  const out = { alive: [] as string[], dead: [] as string[] };
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(side) || !IA_ADDR.test(name)) continue;
    const text = address(name, env[name]!, { length: 'none' }).text;
    (uint(env, `${name}_vltime`) === 0 ? out.dead : out.alive).push(text);
  }
  // dhclient: its valid lifetime is ${side}_max_life (0 after a NoBinding renewal: recorded in
  // dhclient6-renumber, where dhclient-script then left the address valid "forever").
  const one = env[`${side}_ip6_address`];
  if (one !== undefined)
    (uint(env, `${side}_max_life`) === 0 ? out.dead : out.alive).push(
      address(`${side}_ip6_address`, one, { length: 'none' }).text,
    );
  const len = uint(env, `${side}_ip6_prefixlen`);
  if (len !== null && len > 128)
    bad(`${side}_ip6_prefixlen`, env[`${side}_ip6_prefixlen`]!, 'not a prefix length 0-128');
  return out;
}

const unique = (list: string[]): string[] => [...new Set(list)].sort();

/** What an IPv6 event (`reason` already known to be one) says; throws InputError on bad input. */
export function readNews6(env: Env, reason: string, action: 'up' | 'down'): News6 {
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && V6_VARIABLE.test(name) && !PLAIN.test(value)) {
      bad(name, value, 'not plain text (letters, digits, space and . , : / + = @ _ - only)');
    }
  }
  const held: string[] = [];
  const fresh = leased(env, 'new');
  const old = leased(env, 'old');
  if (reason === 'ROUTERADVERT') {
    const advert = advertOf(env, held);
    return { advert, held: unique(held), lost: [] };
  }
  if (action === 'down') return { held: [], lost: unique([...old.alive, ...old.dead, ...fresh.alive, ...fresh.dead]) };
  const alive = unique(fresh.alive);
  return { held: alive, lost: unique([...old.alive, ...old.dead, ...fresh.dead]).filter((a) => !alive.includes(a)) };
}
