// check asks the kernel itself: for every address srcroute routes, `ip route get OUTSIDE from
// ADDR` answers with the table, gateway and device the kernel really chose, whatever rules other
// programs added. Only asked where srcroute's own plan is empty (otherwise the plan's findings
// say what is wrong, and this one would say it twice). Pure: which questions, and what an answer
// means; facts.ts asks them through the same ip session that read the kernel.
import type { ProbeAnswer } from '../kernel/ip-batch.js';
import { ANY, MAIN_TABLE, type Family } from '../kernel/kernel.js';
import type { Config } from '../hook/config.js';
import { containsAddress, hostOrPrefix } from '../shared/prefix.js';
import type { FamilyState } from './judge.js';

/** Where packets from `address` must go: the interface's table, its default route's gateway and device. */
export interface RouteCheck {
  family: Family;
  address: string;
  /** The outside address asked about: a documentation address outside every prefix the table routes on-link. */
  to: string;
  expect: { table: number; dev: string; gateway: string | null };
  /** What the kernel answered; null until asked. */
  answer: RouteAnswer | null;
}

export type RouteAnswer = { table: number; dev: string; gateway: string | null } | { error: string };

/** Documentation addresses (RFC 5737, RFC 3849): no packet is sent, `route get` only looks up. */
const OUTSIDE: Record<Family, string[]> = {
  4: ['192.0.2.1', '198.51.100.1', '203.0.113.1'],
  6: ['2001:db8:ffff:ffff::1', '2001:db8:fffe:ffff::1'],
};

/** The checks for one converged family of an interface: one per address it routes. */
export function routeChecks(family: Family, state: FamilyState, iface: string, config: Config): RouteCheck[] {
  const def = state.desired.routes.find((r) => r.dst === ANY[family]);
  if (state.plan.length > 0 || def === undefined) return [];
  const onlink = state.desired.routes.filter((r) => r.gateway === null && r.dst !== ANY[family]).map((r) => r.dst);
  const to = OUTSIDE[family].find((a) => !onlink.some((p) => containsAddress(p, a)));
  if (to === undefined) return [];
  const routed = new Set(state.desired.rules.map((r) => hostOrPrefix(r.from)));
  return [...routed]
    .filter((address) => state.addresses.includes(address))
    .map((address) => ({
      family,
      address,
      to,
      expect: { table: config.table, dev: iface, gateway: def.gateway },
      answer: null,
    }));
}

export const routeQuery = (c: RouteCheck): string[] => ['route', 'get', c.to, 'from', c.address];

/** `ip -N -j route get` answers one route (ip omits the table for main). */
export function routeAnswer(probe: ProbeAnswer): RouteAnswer {
  if ('error' in probe) return { error: probe.error };
  const r = (Array.isArray(probe.json) ? probe.json[0] : undefined) as Record<string, unknown> | undefined;
  if (r === undefined) return { error: 'no answer' };
  return {
    table: r.table === undefined ? MAIN_TABLE : Number(r.table),
    dev: typeof r.dev === 'string' ? r.dev : '',
    gateway: typeof r.gateway === 'string' ? r.gateway : null,
  };
}

/** Whether the kernel routes as srcroute means it to. */
export const routedAsMeant = (c: RouteCheck): boolean =>
  c.answer !== null &&
  !('error' in c.answer) &&
  c.answer.table === c.expect.table &&
  c.answer.dev === c.expect.dev &&
  c.answer.gateway === c.expect.gateway;
