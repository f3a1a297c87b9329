// One judge of "converged" (status, check, sync and the hook agree), as a property over the leases real clients handed out
// (every IPv4 lease of test/fixtures) and kernels drawn at random around them (srcroute's rules
// and routes right, wrong, stale, doubled or missing; the interface holding its address or not):
//  - status says converged (every part ok or "-") exactly when the hook's plan is empty;
//  - check has a routing finding exactly when that plan is not empty, one per part it changes,
//    each naming the plan's own commands;
//  - the plan, applied, converges: judged again, nothing is left to do.
// Fixed seed, so a failure replays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { readEvent } from '../../src/hook/event.js';
import type { Lease, Want } from '../../src/hook/want.js';
import { commandOf } from '../../src/hook/apply.js';
import { diagnose } from '../../src/operator/diagnose.js';
import type { Facts, InterfaceFacts } from '../../src/operator/facts.js';
import { interfaceState, judgeFamily, type FamilyState } from '../../src/operator/judge.js';
import type { Family, MetricRoute } from '../../src/kernel/kernel.js';
import { makeRule, type SeenRule } from '../../src/kernel/rule.js';
import type { FamilyRead } from '../../src/hook/kernel-state.js';
import { loadSession, sessionNames } from '../support/fixtures.js';
import { ModelKernel } from '../support/model-kernel.js';

const SEED = 0x17;
const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: false, mark: { value: 0x7b000000, mask: 0xff000000 } };
const IFACE = 'eth0v0';

/** Every lease a recorded client bound, once. */
const LEASES: Lease[] = [
  ...new Map(
    sessionNames()
      .flatMap((s) => loadSession(s))
      .map((e) => readEvent({ ...e.env, interface: IFACE }))
      .map((e): Want | undefined => (e.action === 'follow' ? e.wants[4] : undefined))
      .flatMap((w) => (w?.kind === 'lease' ? [[JSON.stringify(w.lease), w.lease] as const] : [])),
  ).values(),
];

const rule = (from: string, priority: number, family: Family): SeenRule => ({ ...makeRule({ from: `${from}/${family === 6 ? 128 : 32}`, table: 123, priority }), protocol: 213 });
const route = (dst: string, gateway: string | null, dev = IFACE, table = 123, protocol = 213, metric = 0): MetricRoute => ({ dst, dev, gateway, onlink: false, table, protocol, metric, nhid: null });

/** Rules and routes srcroute may find in its table, around the recorded leases: right ones, old ones, foreign devices. */
const ADDRESSES4 = [...new Set(LEASES.map((l) => l.address)), '100.64.0.77'];
const RULES4 = ADDRESSES4.flatMap((a) => [rule(a, 1000, 4), rule(a, 900, 4)]);
const ROUTES4 = [
  ...[...new Set(LEASES.map((l) => l.gateway))].map((g) => route('0.0.0.0/0', g)),
  route('0.0.0.0/0', '100.64.0.1', 'eth9'),
  ...[...new Set(LEASES.filter((l) => l.prefix < 32).map((l) => `${l.address.split('.').slice(0, 3).join('.')}.0/24`))].map((n) => route(n, null)),
  route('100.64.9.0/24', null),
];
const ADDRESSES6 = ['2001:db8:1::50', '2001:db8:1::51', '2001:db8:2::9'];
const RULES6 = ADDRESSES6.flatMap((a) => [rule(a, 1000, 6), rule(a, 900, 6)]);
const ROUTES6 = [route('::/0', 'fe80::1'), route('::/0', 'fe80::2'), route('2001:db8:1::/64', null), route('2001:db8:2::/64', null)];
const MAIN6 = [route('::/0', 'fe80::1', IFACE, 254, 9, 2048), route('2001:db8:1::/64', null, IFACE, 254, 9, 256)];

const picks = <T>(from: readonly T[]) => fc.array(fc.constantFrom(...from), { maxLength: 5 });
const kernel4 = fc.record({ lease: fc.option(fc.constantFrom(...LEASES), { nil: null }), rules: picks(RULES4), routes: picks(ROUTES4), held: fc.subarray(ADDRESSES4) });
const kernel6 = fc.record({ rules: picks(RULES6), routes: picks(ROUTES6), main: fc.subarray(MAIN6), held: fc.subarray(ADDRESSES6) });

const read = (rules: SeenRule[], routes: MetricRoute[], held: string[]): FamilyRead => ({
  rules: [{ ...makeRule({ from: '0.0.0.0/0', table: 254, priority: 32766 }), protocol: 0 }, ...rules],
  routes,
  addresses: new Map([[IFACE, held]]),
});

const converged = (s: FamilyState): boolean => [s.rule, s.local, s.default, s.connected].every((p) => p === 'ok' || p === '-');

/** The kernel after the plan: the model applies each change as the kernel would. */
function applied(r: FamilyRead, s: FamilyState): FamilyRead {
  const model = new ModelKernel();
  const owned = (x: { protocol: number; table: number }) => x.protocol === 213 && x.table === 123;
  model.rules = r.rules.filter((x) => x.protocol === 213);
  model.routes = r.routes.filter(owned).map(({ protocol: _, metric: __, nhid: ___, ...x }) => x);
  for (const c of s.plan) model.apply(c.argv);
  return {
    ...r,
    rules: [...r.rules.filter((x) => x.protocol !== 213), ...model.rules],
    routes: [...r.routes.filter((x) => !owned(x)), ...model.routes.map((x) => ({ ...x, protocol: 213, metric: 0, nhid: null }))],
  };
}

/** check's facts for one interface, its lease and kernel as drawn, everything else healthy. */
function facts(lease: Lease | null, v4: FamilyRead, v6: FamilyRead): Facts {
  const state = interfaceState({ iface: IFACE, config, lease: lease && { lease, source: 'drawn' }, problem: null, rpFilter: { all: 2, iface: 2 } }, v4, v6);
  const f: InterfaceFacts = {
    state, config, tableValue: 'pub', tableRegistered: true,
    hook: { path: '/etc/dhcpcd/eth0v0.exit-hook', exists: true, executable: true, rootOwned: true, writableByOthers: false, interpreter: '/usr/bin/node', interpreterExists: true, interpreterReal: '/usr/bin/node', nodeFlags: [], bundle: null, bundleExists: false },
    clients: [{ pid: 9, program: 'dhcpcd', ifaces: [IFACE], families: [4, 6], startedMs: 0 }],
    addresses: [...(v4.addresses.get(IFACE) ?? [])], clientStart: null, stack: null, parent: 'eth0', exists: true, routes: [], sysctl6: { forwarding: false, acceptRa: 0 }, forward: null,
  };
  return {
    interfaces: [f], packaged: false, globalProblem: null, protocol: 213, kernel: { 4: v4, 6: v6 }, policy: { 4: [], 6: [] }, tables: new Map([['pub', 123]]),
    dispatcher: { path: '/etc/dhcpcd.exit-hook', hasBlock: true, dhclient: false }, dhcpcdConf: null, dhcpcdService: null,
    networkd: { running: false, manageForeignRules: false, setIn: null, startedBeforeConfig: false }, processes: [], nmLeases: [],
  };
}

const ROUTING = /^(ipv6-)?(rule|local|route)-(missing|wrong|stale)$/;

describe('one judge: status, check and the hook agree on "converged"', () => {
  it(`${LEASES.length} recorded leases: the property holds over drawn kernels`, () => {
    expect(LEASES.length).toBeGreaterThan(5);
    let unconverged = 0;
    fc.assert(
      fc.property(kernel4, kernel6, (k4, k6) => {
        const v4 = read(k4.rules, k4.routes, k4.held);
        const v6 = read(k6.rules, [...k6.routes, ...k6.main], k6.held);
        const f = facts(k4.lease, v4, v6);
        const { ipv4, ipv6 } = f.interfaces[0]!.state;
        const routing = diagnose(f).filter((x) => ROUTING.test(x.id));
        for (const [family, s] of [[4, ipv4!], [6, ipv6!]] as const) {
          expect(converged(s), JSON.stringify(s.plan)).toBe(s.plan.length === 0);
          const mine = routing.filter((x) => x.id.startsWith('ipv6-') === (family === 6));
          expect(mine.length > 0).toBe(s.plan.length > 0);
          // every change the plan makes is named by exactly one finding's fix
          for (const c of s.plan) expect(mine.filter((x) => x.fix[0]!.includes(commandOf(c, family)))).toHaveLength(1);
          if (s.plan.length > 0) unconverged++;
        }
        // the plan, applied, leaves nothing to do
        const want = k4.lease ? ({ kind: 'lease', lease: k4.lease } as const) : ({ kind: 'ended' } as const);
        expect(judgeFamily(4, want, applied(v4, ipv4!), IFACE, config).plan).toEqual([]);
        expect(judgeFamily(6, { kind: 'follow', news: { held: [], lost: [] } }, applied(v6, ipv6!), IFACE, config).plan).toEqual([]);
      }),
      { seed: SEED, numRuns: 1500 },
    );
    console.log(`judge: 1500 drawn kernels, ${unconverged} of 3000 family states with something to do`);
    expect(unconverged, 'both sides of the property are exercised').toBeGreaterThan(500);
    expect(3000 - unconverged, 'both sides of the property are exercised').toBeGreaterThan(50);
  });
});
