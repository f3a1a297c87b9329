// A model of the part of the kernel srcroute owns, for replaying whole sessions through the
// hook: it answers srcroute's `ip -4|-6 -j` questions about its rules and routes the way the
// kernel does (each family sees its own), applies the planned ip argv the way the kernel would
// (add fails on a duplicate, del removes the first rule that matches the selectors it names, as
// fib_rules.c's rule_find does: a selector left out is not compared), and answers the questions about the
// interface's addresses and main's routes from the kernel state recorded beside each event
// (NN-REASON.state.json). Real-kernel replays live in test/integration.
import type { Route, Family } from '../../src/kernel/kernel.js';
import type { OwnedState } from '../../src/hook/kernel-state.js';
import type { Rule, SeenRule } from '../../src/kernel/rule.js';

const familyOf = (words: readonly string[]): Family => (words.some((w) => w.includes(':')) ? 6 : 4);
const withLength = (p: string, family: Family): string =>
  p === 'default' ? (family === 6 ? '::/0' : '0.0.0.0/0') : p.includes('/') ? p : `${p}/${family === 6 ? 128 : 32}`;
const bare = (p: string): string => p.replace(/\/(32|128)$/, '');

function parseRoute(words: string[], family: Family): Route {
  const at = (k: string): string | null => {
    const i = words.indexOf(k);
    return i === -1 ? null : words[i + 1] ?? null;
  };
  return {
    dst: withLength(words[0]!, family),
    dev: at('dev')!,
    gateway: at('via'),
    onlink: words.includes('onlink'),
    table: Number(at('table')),
  };
}

const sameRoute = (a: Route, b: Route): boolean => a.dst === b.dst && a.table === b.table;
const ANY = (family: Family): string => (family === 6 ? '::/0' : '0.0.0.0/0');

/** A rule's selectors as an `ip rule` argv names them; those it leaves out are undefined. */
function parseRule(words: readonly string[], family: Family): Partial<SeenRule> {
  const at = (k: string): string | undefined => (words.includes(k) ? words[words.indexOf(k) + 1] : undefined);
  const prefix = (k: string): string | undefined => {
    const p = at(k);
    return p === undefined ? undefined : p === 'all' ? ANY(family) : withLength(p, family);
  };
  const mark = at('fwmark')?.split('/');
  const num = (k: string): number | undefined => (at(k) === undefined ? undefined : Number(at(k)));
  const given: Record<keyof SeenRule, unknown> = {
    from: prefix('from'),
    to: prefix('to'),
    iif: at('iif'),
    fwmark: mark && { value: Number(mark[0]), mask: Number(mark[1] ?? 0xffffffff) },
    table: num('lookup'),
    priority: num('priority'),
    suppressPrefixlength: num('suppress_prefixlength'),
    suppressIfgroup: at('suppress_ifgroup'),
    protocol: num('protocol'),
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<SeenRule>;
}

const complete = (r: Partial<SeenRule>, family: Family): SeenRule =>
  ({ from: ANY(family), to: ANY(family), iif: null, fwmark: null, suppressPrefixlength: null, suppressIfgroup: null, protocol: 0, ...r }) as SeenRule;
/** Whether `rule` has every selector `given` names (JSON compares the mark's two numbers). */
const matches = (rule: SeenRule, given: Partial<SeenRule>): boolean =>
  Object.entries(given).every(([k, v]) => JSON.stringify(rule[k as keyof SeenRule]) === JSON.stringify(v));

/** `ip -N -j rule show`'s JSON for a rule (keys as iproute2 6.1 prints them). */
export function ruleJson(r: SeenRule): Record<string, unknown> {
  const json: Record<string, unknown> = { priority: r.priority, src: r.from.endsWith('/0') ? 'all' : bare(r.from), table: String(r.table) };
  if (!r.from.endsWith('/0') && bare(r.from) === r.from) json.srclen = Number(r.from.split('/')[1]);
  if (!r.to.endsWith('/0')) Object.assign(json, { dst: r.to.split('/')[0], dstlen: Number(r.to.split('/')[1]) });
  if (r.iif !== null) json.iif = r.iif;
  if (r.fwmark !== null) Object.assign(json, { fwmark: `0x${r.fwmark.value.toString(16)}`, fwmask: `0x${r.fwmark.mask.toString(16)}` });
  if (r.suppressPrefixlength !== null) json.suppress_prefixlen = r.suppressPrefixlength;
  if (r.suppressIfgroup !== null) json.suppress_ifgroup = r.suppressIfgroup;
  return r.protocol === 0 ? json : { ...json, protocol: String(r.protocol) };
}
const isV6 = (prefix: string): boolean => prefix.includes(':');

/** What the kernel held when the client ran the hook (`ip -j` output, protocols by name). */
export interface Recorded {
  addr6?: { ifname: string; addr_info: Record<string, unknown>[] }[];
  route6?: Record<string, unknown>[];
}

const RTPROT: Record<string, number> = { kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16 };

export class ModelKernel {
  /** Every rule, srcroute's (protocol 213) and other programs'. */
  rules: SeenRule[] = [];
  routes: Route[] = [];
  /** The kernel state recorded with the event being replayed. */
  recorded: Recorded = {};

  /** What srcroute holds for `table`: its rules and routes there, and its rules into main for the same addresses. */
  state(table: number, family: Family = 4): OwnedState {
    const mine = (p: string): boolean => isV6(p) === (family === 6);
    const ours = this.rules.filter((r) => r.protocol === 213 && mine(r.from));
    const froms = new Set(ours.filter((r) => r.table === table).map((r) => r.from));
    return {
      rules: ours.filter((r) => r.table === table || (r.table === 254 && froms.has(r.from))).map(({ protocol: _, ...r }): Rule => r),
      routes: this.routes.filter((r) => r.table === table && mine(r.dst)),
    };
  }

  /** ip's JSON answer to one of srcroute's questions. */
  answer(query: readonly string[], family: Family): unknown {
    const q = query.join(' ');
    const mine = (p: string): boolean => isV6(p) === (family === 6);
    const ruleTable = /^rule show(?: table (\S+))?$/.exec(q);
    if (ruleTable) {
      const table = ruleTable[1] === 'main' ? 254 : ruleTable[1] === undefined ? null : Number(ruleTable[1]);
      return this.rules.filter((r) => mine(r.from) && (table === null || r.table === table)).map(ruleJson);
    }
    const link = /^link show dev (\S+)$/.exec(q)?.[1];
    if (link !== undefined) return [{ ifname: link }];
    if (/^route show table all proto \d+$/.test(q)) {
      return this.routes
        .filter((r) => mine(r.dst))
        .map((r) => ({ dst: r.dst.endsWith('/0') ? 'default' : r.dst, ...(r.gateway ? { gateway: r.gateway } : {}), dev: r.dev, table: String(r.table), flags: r.onlink ? ['onlink'] : [] }));
    }
    const dev = /^route show table main dev (\S+)$/.exec(q)?.[1];
    if (dev !== undefined) {
      return (this.recorded.route6 ?? [])
        .filter((r) => r.dev === dev && (r.table === undefined || r.table === 'main'))
        .map(({ dev: _, ...r }) => ({ ...r, protocol: RTPROT[String(r.protocol)] ?? r.protocol }));
    }
    const addrDev = /^addr show dev (\S+) scope global$/.exec(q)?.[1];
    if (addrDev !== undefined) {
      return (this.recorded.addr6 ?? [])
        .filter((l) => l.ifname === addrDev)
        .map((l) => ({ ...l, addr_info: l.addr_info.filter((a) => a.scope === 'global') }));
    }
    // The IPv4 recordings keep no addresses: the model holds none on a lease's end, as after
    // dhcpcd and dhclient remove the address before a down hook (the real-kernel replays and
    // the labs cover an address that stays).
    if (q === 'address show' && family === 4) return [];
    throw new Error(`the model does not know: ip -${family} ${q}`);
  }

  apply(argv: readonly string[]): void {
    const [object, verb, ...rest] = argv;
    const family = familyOf(rest);
    if (object === 'rule') {
      const given = parseRule(rest, family);
      if (verb === 'add') {
        const rule = complete(given, family);
        if (this.rules.some((r) => matches(r, rule))) throw new Error(`rule exists: ${argv.join(' ')}`);
        this.rules.push(rule);
      } else this.remove(this.rules, (r) => matches(r, given), argv);
      return;
    }
    const route = parseRoute(rest, family);
    const i = this.routes.findIndex((r) => sameRoute(r, route));
    if (verb === 'add' && i !== -1) throw new Error(`route exists: ${argv.join(' ')}`);
    if (verb === 'del') this.remove(this.routes, (r) => sameRoute(r, route), argv);
    else if (i === -1) this.routes.push(route);
    else this.routes[i] = route;
  }

  private remove<T>(list: T[], match: (t: T) => boolean, argv: readonly string[]): void {
    const i = list.findIndex(match);
    if (i === -1) throw new Error(`no such object: ${argv.join(' ')}`);
    list.splice(i, 1);
  }
}
