// Every recorded session replayed through the BUILT bundle against a real kernel, each event
// twice, the way dhcpcd would run it (address set before an up hook, gone before a down hook).
// After every run the namespace must hold exactly the lease's rule and routes, and the
// foreign rules and routes planted at the start must still be there.
import { afterAll, describe, expect, it } from 'vitest';
import { loadSession, sessionNames } from '../support/fixtures.js';
import { boxWithMacvlans, type Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { configDir, nodesToTest, runBundle } from '../support/bundle.js';

const ok = prerequisites('bundle replay', ['root', 'ip']);
const TABLES: Record<string, number> = { eth0v0: 123, eth0v1: 124 };
const PROTO = '213';

interface KRule { priority: number; src?: string; table: string; protocol?: string }
interface KRoute { dst: string; gateway?: string; dev?: string; protocol?: string }

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
function expected(env: Record<string, string>): { rule: string; routes: string[] } {
  const addr = env.new_ip_address!;
  const cidr = cidrOf(env);
  const gw = classlessGateway(env) ?? env.new_routers!.split(' ')[0]!;
  const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const net = Math.floor(n / 2 ** (32 - cidr)) * 2 ** (32 - cidr);
  const netText = [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
  const routes = [`default ${gw} ${env.interface}`];
  if (cidr < 32) routes.push(`${netText}/${cidr} - ${env.interface}`);
  return { rule: `1000 ${addr}`, routes: routes.sort() };
}

function held(ns: Netns, table: number): { rules: string[]; routes: string[] } {
  const rules = ns.json<KRule>('-N', 'rule', 'show', 'table', String(table)).filter((r) => r.protocol === PROTO);
  const routes = ns.json<KRoute>('-N', 'route', 'show', 'table', String(table));
  return {
    rules: rules.map((r) => `${r.priority} ${r.src}`),
    routes: routes.map((r) => `${r.dst} ${r.gateway ?? '-'} ${r.dev}`).sort(),
  };
}

/** Somebody else's rules and routes, which srcroute must leave exactly as they are. */
function plantForeign(ns: Netns): () => void {
  ns.ip('rule', 'add', 'from', '192.0.2.1', 'lookup', '123', 'priority', '500');
  ns.ip('rule', 'add', 'from', '192.0.2.9', 'lookup', '123', 'priority', '1000');
  ns.ip('rule', 'add', 'from', '192.0.2.2', 'lookup', '200', 'priority', '1000');
  ns.ip('route', 'add', '198.51.100.0/24', 'dev', 'eth0', 'table', '200');
  const snapshot = (): string =>
    JSON.stringify([
      ns.json('-N', 'rule', 'show').filter((r) => (r as KRule).protocol !== PROTO),
      ns.json('-N', 'route', 'show', 'table', '200'),
    ]);
  const before = snapshot();
  return () => expect(snapshot()).toBe(before);
}

/** Do to the interface what dhcpcd does before it runs the hook. */
function likeDhcpcd(ns: Netns, env: Record<string, string>, up: boolean): void {
  const dev = env.interface!;
  if (up) {
    ns.ip('addr', 'flush', 'dev', dev);
    ns.ip('addr', 'add', `${env.new_ip_address}/${cidrOf(env)}`, 'dev', dev);
  } else {
    ns.ip('addr', 'flush', 'dev', dev);
  }
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
    for (const { name, env } of loadSession(session)) {
      const table = TABLES[env.interface ?? ''] ?? 123;
      const isUp = env.new_ip_address !== undefined && !/^(EXPIRE|EXPIRED|NAK|FAIL|RELEASE|STOP|STOPPED|DEPARTED|NOCARRIER)$/.test(env.reason ?? '');
      const acts = /^(BOUND|RENEW|REBIND|REBOOT|INFORM|STATIC|TIMEOUT|EXPIRE|EXPIRED|NAK|FAIL|RELEASE|STOP|STOPPED|DEPARTED|NOCARRIER)$/.test(env.reason ?? '');
      if (acts) likeDhcpcd(ns, env, isUp);
      const before = held(ns, table);
      for (const pass of [1, 2]) {
        const r = runBundle(ns, env, cfg, [], nodePath);
        expect(r.code, `${name} pass ${pass}: ${r.stderr}`).toBe(0);
        if (pass === 2) expect(r.stderr, `${name} again changes nothing`).toBe('');
        const now = held(ns, table);
        if (!acts) expect(now, `${name} is ignored`).toEqual(before);
        else if (isUp) {
          const want = expected(env);
          expect(now.rules, name).toEqual([want.rule]);
          expect(now.routes, name).toEqual(want.routes);
        } else expect(now, name).toEqual({ rules: [], routes: [] });
      }
      foreignIntact();
    }
  });
});
