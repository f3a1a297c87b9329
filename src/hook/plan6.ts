// The pure IPv6 plan: what the interface's table must hold for IPv6, from what the kernel holds
// now and what the event tells. Measured (shared/notes/ipv6.md): one /128 source rule per address
// into the table (a /64 rule misses DHCPv6 addresses outside the advertised prefix, RFC 5942),
// with the same block of rules before it as IPv4's (address-rules.ts: the on-link prefixes into
// the table, main's more specific routes back to main), and in
// the table `default via ROUTER dev IF` (the router is link-local, so `dev` is required) plus the
// on-link prefixes. The addresses are the kernel's (dhcpcd, dhclient-script or the kernel's own
// SLAAC put them there), plus and minus what the event says: the event may run before the kernel
// caught up. Router and prefixes come from dhcpcd's RA itself (the whole current RA set); for
// every other event from main's RA default and prefix routes (the kernel's own RA handling, under
// dhclient), else from the table, as srcroute wrote it from the last RA: the kernel is the memory,
// no file needed. (main's prefix routes are not mixed into an RA's: in lab-ipv6's renumbering the
// old prefix's route, copied from main, outlived the prefix in the table, and the unchanged RAs
// after it are skipped by the dispatcher's gate.) No router, no rules and no routes: traffic
// from the address then leaves as it would without srcroute, and everything comes back with the
// next RA.
import type { Config } from './config.js';
import type { News6 } from './want.js';
import { addressRules, forwardRules } from './address-rules.js';
import type { KernelState } from './kernel-state.js';
import type { Desired } from './want.js';
import { ANY, type DevRoute, type Route } from '../kernel/kernel.js';
import { isLinkLocal, parseIPv6 } from '../shared/ipv6.js';

/** rtnetlink's protocol number for routes from router advertisements (RTPROT_RA). */
const RTPROT_RA = 9;

/** The router and on-link prefixes to follow: the RA's, else main's (RA default, lowest metric), else the table's. */
function sourceOf(news: News6, kernel: KernelState, config: Config): { router: string | null; prefixes: string[] } {
  if (news.advert) return { router: news.advert.router, prefixes: news.advert.onlink };
  const fromRa = kernel.main
    .filter((r) => r.dst === ANY[6] && r.gateway !== null && r.protocol === RTPROT_RA)
    .sort((a, b) => a.metric - b.metric)[0];
  if (fromRa) return { router: fromRa.gateway, prefixes: onlinkInMain(kernel.main, config) };
  const own = kernel.owned.routes.find((r) => r.dst === ANY[6] && r.gateway !== null);
  return {
    router: own?.gateway ?? null,
    prefixes: kernel.owned.routes.filter((r) => r.gateway === null).map((r) => r.dst),
  };
}

/** main's on-link prefixes on the interface: no gateway, not link-local, not ours, not a host route. */
function onlinkInMain(main: DevRoute[], config: Config): string[] {
  return main
    .filter((r) => {
      const [net, len] = r.dst.split('/');
      const addr = parseIPv6(net ?? '');
      return (
        r.gateway === null &&
        r.protocol !== config.protocol &&
        addr !== null &&
        !isLinkLocal(addr) &&
        addr[0]! < 0xff00 &&
        Number(len) > 0 &&
        Number(len) < 128
      );
    })
    .map((r) => r.dst);
}

const minus = (list: string[], drop: readonly string[]): string[] =>
  [...new Set(list)].filter((x) => !drop.includes(x)).sort();

export function desired6(news: News6, kernel: KernelState, iface: string, config: Config): Desired {
  const { router, prefixes: found } = sourceOf(news, kernel, config);
  if (router === null) return { rules: [], routes: [] };
  const addresses = minus([...kernel.addresses, ...news.held], news.lost);
  const prefixes = [...new Set(found)].sort();
  const route = (dst: string, gateway: string | null): Route => ({
    dst,
    dev: iface,
    gateway,
    onlink: false,
    table: config.table,
  });
  return {
    rules: [
      ...forwardRules(6, config),
      ...addresses.flatMap((a) => addressRules(`${a}/128`, prefixes, config.table, config.priority)),
    ],
    routes: [...prefixes.map((p) => route(p, null)), route(ANY[6], router)],
  };
}
