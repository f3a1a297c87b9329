// A model of the part of the kernel srcroute owns, for replaying whole sessions through the
// hook: it answers srcroute's `ip -4|-6 -j` questions about its rules and routes the way the
// kernel does (each family sees its own), applies the planned ip argv the way the kernel would
// (add fails on a duplicate, del removes the first match), and answers the questions about the
// interface's addresses and main's routes from the kernel state recorded beside each event
// (NN-REASON.state.json). Real-kernel replays live in test/integration.
import type { OwnedState, Route, Rule, Family } from '../../src/kernel/kernel.js';

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
const sameRule = (a: Rule, b: Rule): boolean => a.from === b.from && a.table === b.table && a.priority === b.priority;
const isV6 = (prefix: string): boolean => prefix.includes(':');

/** What the kernel held when the client ran the hook (`ip -j` output, protocols by name). */
export interface Recorded {
  addr6?: { ifname: string; addr_info: Record<string, unknown>[] }[];
  route6?: Record<string, unknown>[];
}

const RTPROT: Record<string, number> = { kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16 };

export class ModelKernel {
  rules: Rule[] = [];
  routes: Route[] = [];
  /** The kernel state recorded with the event being replayed. */
  recorded: Recorded = {};

  state(table: number, family: Family = 4): OwnedState {
    const mine = (p: string): boolean => isV6(p) === (family === 6);
    return {
      rules: this.rules.filter((r) => r.table === table && mine(r.from)),
      routes: this.routes.filter((r) => r.table === table && mine(r.dst)),
    };
  }

  /** ip's JSON answer to one of srcroute's questions. */
  answer(query: readonly string[], family: Family): unknown {
    const q = query.join(' ');
    const mine = (p: string): boolean => isV6(p) === (family === 6);
    if (q.startsWith('rule show')) {
      return this.rules.filter((r) => mine(r.from)).map((r) => ({ priority: r.priority, src: bare(r.from), table: String(r.table), protocol: '213' }));
    }
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
      const at = (k: string): string => rest[rest.indexOf(k) + 1]!;
      const rule = { from: withLength(at('from'), family), table: Number(at('lookup')), priority: Number(at('priority')) };
      if (verb === 'add') {
        if (this.rules.some((r) => sameRule(r, rule))) throw new Error(`rule exists: ${argv.join(' ')}`);
        this.rules.push(rule);
      } else this.remove(this.rules, (r) => sameRule(r, rule), argv);
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
