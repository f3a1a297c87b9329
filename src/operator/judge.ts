// One interface as `status` shows it and `check` judges it, by the hook's own judgement: for each
// family, what the hook would want now (IPv4: the lease its DHCP client reports, or the lease's
// end; IPv6: the interface's addresses and router, as sync's REBIND6), planned against what the
// kernel holds, with the very function the hook runs (hook/plan.ts: decide). Converged means the plan is
// empty; each part of the table (the rule, the default route, the connected routes) is shown as
// ok, missing, wrong or stale by the changes the plan would make to it. Pure: facts.ts gathers.
import type { Config } from '../hook/config.js';
import type { Lease } from '../hook/want.js';
import type { FamilyRead } from '../hook/kernel-state.js';
import { decide, type Part, type PartState, type PlannedChange } from '../hook/plan.js';
import type { Desired, Want } from '../hook/want.js';
import { ANY, type Family } from '../kernel/kernel.js';

/** A part of the table: as the plan wants it (`ok`), what the plan would do to it, or nothing wanted nor held (`-`). */
export type PartView = 'ok' | PartState | '-';
export type RpFilter = 'off' | 'strict' | 'loose' | 'unknown';

export interface LeaseSeen {
  address: string;
  prefix: number;
  gateway: string | null;
  source: string;
}

export interface FamilyState {
  rule: PartView;
  /** The rules that keep local networks local. */
  local: PartView;
  default: PartView;
  connected: PartView;
  /** The changes the hook would make now, in its order: empty when converged. */
  plan: PlannedChange[];
  /** What the table must hold. */
  desired: Desired;
  /** The interface's global addresses of this family. */
  addresses: string[];
}

export interface InterfaceState {
  iface: string;
  table: { number: number; name: string } | null;
  lease: LeaseSeen | null;
  /** Why the lease or the config could not be used (the state then says little). */
  problem: string | null;
  /** null without a usable config. */
  ipv4: FamilyState | null;
  /** null when IPv6 is not handled (IPV6=no, or no usable config); `router`: the one srcroute routes through. */
  ipv6: (FamilyState & { router: string | null }) | null;
  rpFilter: RpFilter;
  rpFilterValues: { all: number | null; iface: number | null };
}

export interface InterfaceInput {
  iface: string;
  config: Config | null;
  lease: { lease: Lease; source: string } | null;
  problem: string | null;
  rpFilter: { all: number | null; iface: number | null };
}

/** The kernel's effective rp_filter for an interface is the larger of `all` and its own. */
export function rpFilterMode(values: { all: number | null; iface: number | null }): RpFilter {
  if (values.all === null || values.iface === null) return 'unknown';
  return (['off', 'strict', 'loose'] as const)[Math.max(values.all, values.iface)] ?? 'unknown';
}

const SEVERITY: PartState[] = ['wrong', 'missing', 'stale'];

function partView(part: Part, changes: readonly PlannedChange[], want: Desired, family: Family): PartView {
  const states = changes.filter((c) => c.part === part).map((c) => c.state);
  const worst = SEVERITY.find((s) => states.includes(s));
  if (worst) return worst;
  const wanted =
    part === 'rule' || part === 'local'
      ? want.rules.length > 0
      : want.routes.some((r) => (r.dst === ANY[family]) === (part === 'default'));
  return wanted ? 'ok' : '-';
}

/** The hook's judgement of one family: what it would want, and the changes it would make. */
export function judgeFamily(family: Family, want: Want, read: FamilyRead, iface: string, config: Config): FamilyState {
  const { kernel, desired: target, changes } = decide(want, read, { iface, table: config.table }, config, family);
  return {
    rule: partView('rule', changes, target, family),
    local: partView('local', changes, target, family),
    default: partView('default', changes, target, family),
    connected: partView('connected', changes, target, family),
    plan: changes,
    desired: target,
    addresses: kernel.addresses,
  };
}

/** The whole interface: IPv4 from its lease (or the lease's end), IPv6 as sync follows it. */
export function interfaceState(input: InterfaceInput, v4: FamilyRead, v6: FamilyRead | null): InterfaceState {
  const { iface, config, lease } = input;
  const ipv6 =
    config?.ipv6 && v6 ? judgeFamily(6, { kind: 'follow', news: { held: [], lost: [] } }, v6, iface, config) : null;
  return {
    iface,
    table: config && { number: config.table, name: config.tableName },
    lease: lease && {
      address: lease.lease.address,
      prefix: lease.lease.prefix,
      gateway: lease.lease.gateway,
      source: lease.source,
    },
    problem: input.problem,
    ipv4:
      config && judgeFamily(4, lease ? { kind: 'lease', lease: lease.lease } : { kind: 'ended' }, v4, iface, config),
    ipv6: ipv6 && { ...ipv6, router: ipv6.desired.routes.find((r) => r.dst === ANY[6])?.gateway ?? null },
    rpFilter: rpFilterMode(input.rpFilter),
    rpFilterValues: input.rpFilter,
  };
}
