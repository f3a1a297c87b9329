// Every recorded session replayed through the BUILT bundle against a real kernel, each event
// twice, the way dhcpcd would run it (address set before an up hook, gone before a down hook;
// for an IPv6 event the interface's IPv6 addresses and main's routes on it as recorded beside
// the event). After every run the namespace must hold exactly the lease's rule and routes (for
// IPv6: one rule per global address the interface holds and the event does not call lost,
// while a router is known, and the default via that router), the other family must be as it
// was, and the foreign rules and routes planted at the start must still be there.
import { afterAll, describe, expect, it } from 'vitest';
import { loadSession, sessionNames } from '../support/fixtures.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { configDir, nodesToTest, runBundle } from '../support/bundle.js';

const ok = prerequisites('bundle replay', ['root', 'ip']);
const TABLES: Record<string, number> = { eth0v0: 123, eth0v1: 124 };
const PROTO = '213';

interface KRule { priority: number; src?: string; dst?: string; dstlen?: number; table: string; protocol?: string }
interface KRoute { dst: string; gateway?: string; dev?: string; protocol?: string; metric?: number; table?: string }
interface KAddr { local: string; prefixlen: number; scope: string }
interface Recorded { addr6?: { ifname: string; addr_info: KAddr[] }[]; route6?: KRoute[] }

const V6_UP = /^(ROUTERADVERT|BOUND6|RENEW6|REBIND6|REBOOT6)$/;
const V6_DOWN = /^(EXPIRE6|RELEASE6|STOP6)$/;
const LINK_DOWN = /^(NOCARRIER|STOPPED|DEPARTED)$/;

/** Prefix length from new_subnet_cidr (dhcpcd) or new_subnet_mask (dhclient). */
function cidrOf(env: Record<string, string>): number {
  if (env.new_subnet_cidr !== undefined) return Number(env.new_subnet_cidr);
  return (env.new_subnet_mask ?? '255.255.255.255').split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);
}

/** The classless default gateway, read independently of src/ (dhcpcd pairs, dhclient bytes). */
function classlessGateway(env: Record<string, string>): string | undefined {
  const pairs = env.new_classless_static_routes?.split(' ');
  if (pairs) for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === '0.0.0.0/0') return pairs[i + 1];
  const bytes = env.new_rfc3442_classless_static_routes?.split(' ').map(Number) ?? [];
  for (let i = 0; i < bytes.length; ) {
    const width = bytes[i]!;
    const gw = bytes.slice(i + 1 + Math.ceil(width / 8), i + 5 + Math.ceil(width / 8));
    if (width === 0) return gw.join('.');
    i += 5 + Math.ceil(width / 8);
  }
  return undefined;
}

/** What the kernel must hold for an up event, computed independently of src/. */
function expected(env: Record<string, string>): { rules: string[]; routes: string[] } {
  const addr = env.new_ip_address!;
  const cidr = cidrOf(env);
  const gw = classlessGateway(env) ?? env.new_routers!.split(' ')[0]!;
  const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const net = Math.floor(n / 2 ** (32 - cidr)) * 2 ** (32 - cidr);
  const netText = [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
  const routes = [`default ${gw} ${env.interface}`];
  if (cidr < 32) routes.push(`${netText}/${cidr} - ${env.interface}`);
  // the block before the source rule: the lease's subnet into the table, main's own networks to main
  const rules = [...(cidr < 32 ? [`998 ${addr} to ${netText}/${cidr} ${env.table}`] : []), `999 ${addr} main`, `1000 ${addr} ${env.table}`];
  return { rules, routes: routes.sort() };
}

/** srcroute's rules into `table` and into main, and the routes in `table`, as comparable strings. */
function held(ns: Netns, table: number, family = '-4'): { rules: string[]; routes: string[] } {
  const ours = ns.json<KRule>(family, '-N', 'rule', 'show').filter((r) => r.protocol === PROTO);
  // main's rules are every interface's: this table's are those from its addresses
  const froms = new Set(ours.filter((r) => r.table === String(table)).map((r) => r.src));
  const rules = ours.filter((r) => r.table === String(table) || (r.table === '254' && froms.has(r.src)));
  const routes = ns.json<KRoute>(family, '-N', 'route', 'show', 'table', String(table));
  const shown = (t: string): string => (t === '254' ? 'main' : t);
  return {
    rules: rules.map((r) => `${r.priority} ${r.src}${r.dst === undefined ? '' : ` to ${r.dst}/${r.dstlen}`} ${shown(r.table)}`),
    routes: routes.map((r) => `${r.dst} ${r.gateway ?? '-'} ${r.dev}`).sort(),
  };
}

/** Somebody else's rules and routes, which srcroute must leave exactly as they are. */
function plantForeign(ns: Netns): () => void {
  ns.ip('rule', 'add', 'from', '192.0.2.1', 'lookup', '123', 'priority', '500');
  ns.ip('rule', 'add', 'from', '192.0.2.9', 'lookup', '123', 'priority', '1000');
  ns.ip('rule', 'add', 'from', '192.0.2.2', 'lookup', '200', 'priority', '1000');
  ns.ip('route', 'add', '198.51.100.0/24', 'dev', 'eth0', 'table', '200');
  ns.ip('-6', 'rule', 'add', 'from', '2001:db8:ffff::9', 'lookup', '123', 'priority', '1000');
  ns.ip('-6', 'rule', 'add', 'from', '2001:db8:ffff::/64', 'lookup', '200', 'priority', '900');
  ns.ip('-6', 'route', 'add', '2001:db8:fffe::/64', 'dev', 'eth0', 'table', '200');
  ns.ip('-6', 'route', 'add', '2001:db8:fffd::/64', 'dev', 'eth0', 'table', '123');
  const snapshot = (): string =>
    JSON.stringify([
      ns.json('-N', 'rule', 'show').filter((r) => (r as KRule).protocol !== PROTO),
      ns.json('-N', 'route', 'show', 'table', '200'),
      ns.json('-6', '-N', 'rule', 'show').filter((r) => (r as KRule).protocol !== PROTO),
      ns.json('-6', '-N', 'route', 'show', 'table', '200'),
      ns.json<KRoute>('-6', '-N', 'route', 'show', 'table', '123').filter((r) => r.dst === '2001:db8:fffd::/64'),
    ]);
  const before = snapshot();
  return () => expect(snapshot()).toBe(before);
}

/** Do to the interface what dhcpcd does before it runs the hook. */
function likeDhcpcd(ns: Netns, env: Record<string, string>, up: boolean): void {
  const dev = env.interface!;
  ns.ip('-4', 'addr', 'flush', 'dev', dev);
  if (up) ns.ip('addr', 'add', `${env.new_ip_address}/${cidrOf(env)}`, 'dev', dev);
}

/** main's IPv6 routes on `dev` as srcroute may read them (not link-local, multicast or host routes). */
const mainRoutes6 = (routes: KRoute[], dev: string): KRoute[] =>
  routes.filter((r) => r.dev === dev && (r.table === undefined || r.table === 'main') && !/^(fe80:|ff00:)/.test(r.dst) && !/\/128$|^[^/]+$/.test(r.dst.replace(/^default$/, '::/0')));

/** Give the interface the IPv6 addresses, and main the routes on it, recorded with the event. */
function likeRecorded6(ns: Netns, dev: string, state: Recorded): void {
  ns.ip('-6', 'addr', 'flush', 'dev', dev, 'scope', 'global');
  for (const r of mainRoutes6(ns.json<KRoute>('-6', 'route', 'show', 'table', 'main', 'dev', dev).map((x) => ({ ...x, dev })), dev)) {
    ns.ip('-6', 'route', 'del', r.dst, 'dev', dev, 'table', 'main', ...(r.metric ? ['metric', String(r.metric)] : []));
  }
  const addrs = (state.addr6 ?? []).filter((l) => l.ifname === dev).flatMap((l) => l.addr_info).filter((a) => a.scope === 'global');
  for (const a of addrs) ns.ip('-6', 'addr', 'add', `${a.local}/${a.prefixlen}`, 'dev', dev, 'nodad', 'noprefixroute');
  for (const r of mainRoutes6(state.route6 ?? [], dev)) {
    ns.ip('-6', 'route', 'add', r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', dev, 'proto', r.protocol ?? 'boot', 'metric', String(r.metric ?? 1024));
  }
}

/** Addresses an IPv6 event says are gone (old_* not renewed, valid lifetime 0), read independently of src/. */
function lost6(env: Record<string, string>): string[] {
  const side = (prefix: string): string[] =>
    Object.keys(env).filter((k) => (k.startsWith(`${prefix}_dhcp6_ia_na`) && /_ia_addr\d+$/.test(k)) || k === `${prefix}_ip6_address`);
  // dhcpcd: ADDR_vltime; dhclient: new_max_life.
  const isDead = (k: string): boolean => env[`${k}_vltime`] === '0' || (k === 'new_ip6_address' && env.new_max_life === '0');
  const fresh = side('new').filter((k) => !isDead(k)).map((k) => env[k]!);
  const dead = side('new').filter(isDead).map((k) => env[k]!);
  return [...side('old').map((k) => env[k]!), ...dead].filter((a) => V6_DOWN.test(env.reason ?? '') || !fresh.includes(a));
}

/** The router an RA names: the first with a lifetime left. */
function raRouter(env: Record<string, string>): string | null {
  for (let i = 1; env[`nd${i}_from`] !== undefined; i++) if (env[`nd${i}_lifetime`] !== '0') return env[`nd${i}_from`]!;
  return null;
}

const nodes = ok ? nodesToTest() : [];
const cases = nodes.flatMap((node) => sessionNames().map((session) => [session, node.label, node.path] as const));

describe.skipIf(!ok).each(cases)('bundle replays %s on %s', (session, _label, nodePath) => {
  const spaces: Netns[] = [];
  afterAll(() => spaces.forEach((ns) => ns.destroy()));

  it('holds exactly the lease after every event, twice, and leaves foreign state alone', () => {
    const ns = boxWithMacvlans(['eth0v0', 'eth0v1']);
    spaces.push(ns);
    const cfg = configDir({ 'srcroute.env': 'TABLE=123\nPRIORITY=1000\n', 'eth0v1.env': 'TABLE=124\n' });
    const foreignIntact = plantForeign(ns);
    const router: Record<string, string | null> = {};
    for (const { name, env, state } of loadSession(session)) {
      const dev = env.interface ?? '';
      const table = TABLES[dev] ?? 123;
      const reason = env.reason ?? '';
      const isUp = env.new_ip_address !== undefined && !/^(EXPIRE|EXPIRED|NAK|FAIL|RELEASE|STOP|STOPPED|DEPARTED|NOCARRIER)$/.test(reason);
      const acts = /^(BOUND|RENEW|REBIND|REBOOT|INFORM|STATIC|TIMEOUT|EXPIRE|EXPIRED|NAK|FAIL|RELEASE|STOP|STOPPED|DEPARTED|NOCARRIER)$/.test(reason);
      const acts6 = V6_UP.test(reason) || V6_DOWN.test(reason);
      if (acts) likeDhcpcd(ns, env, isUp);
      if (acts6) likeRecorded6(ns, dev, (state ?? {}) as Recorded);
      if (acts6 || LINK_DOWN.test(reason)) {
        const fromMain = mainRoutes6(((state ?? {}) as Recorded).route6 ?? [], dev)
          .filter((r) => r.dst === 'default' && r.protocol === 'ra')
          .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0]?.gateway;
        router[dev] = LINK_DOWN.test(reason) ? null : reason === 'ROUTERADVERT' ? raRouter(env) : (fromMain ?? router[dev] ?? null);
      }
      const before = held(ns, table);
      const before6 = held(ns, table, '-6');
      for (const pass of [1, 2]) {
        const r = runBundle(ns, env, cfg, [], nodePath);
        expect(r.code, `${name} pass ${pass}: ${r.stderr}`).toBe(0);
        if (pass === 2) expect(r.stderr, `${name} again changes nothing`).toBe('');
        const now = held(ns, table);
        const now6 = held(ns, table, '-6');
        if (!acts) expect(now, `${name} leaves IPv4 alone`).toEqual(before);
        else if (isUp) {
          const want = expected({ ...env, table: String(table) });
          expect(now.rules, name).toEqual(want.rules);
          expect(now.routes, name).toEqual(want.routes);
        } else expect(now, name).toEqual({ rules: [], routes: [] });
        if (!acts6 && !LINK_DOWN.test(reason)) expect(now6, `${name} leaves IPv6 alone`).toEqual(before6);
        else if (router[dev] === null || router[dev] === undefined) expect(now6.rules, `${name}: no router, no IPv6 rule`).toEqual([]);
        else {
          const lost = lost6(env);
          const addrs = ((state ?? {}) as Recorded).addr6?.filter((l) => l.ifname === dev).flatMap((l) => l.addr_info).filter((a) => a.scope === 'global' && !lost.includes(a.local)) ?? [];
          const sources = now6.rules.filter((x) => x.startsWith('1000 '));
          expect(sources.sort(), name).toEqual(addrs.map((a) => `1000 ${a.local} ${table}`).sort());
          expect(now6.rules.filter((x) => x.startsWith('999 ')).sort(), `${name}: main's own networks`).toEqual(addrs.map((a) => `999 ${a.local} main`).sort());
          expect(now6.routes.filter((x) => x.startsWith('default')), name).toEqual([`default ${router[dev]} ${dev}`]);
        }
      }
      foreignIntact();
    }
  });
});
