// A model of the part of the kernel srcroute owns, for replaying whole sessions through the
// pure planner: it applies the planner's ip argv the way the kernel would (add fails on a
// duplicate, del removes the first match). Real-kernel replays live in test/integration.
import type { OwnedState, Route, Rule } from '../../src/kernel/kernel.js';

const withLength = (p: string): string => (p === 'default' ? '0.0.0.0/0' : p.includes('/') ? p : `${p}/32`);

function parseRoute(words: string[]): Route {
  const at = (k: string): string | null => {
    const i = words.indexOf(k);
    return i === -1 ? null : words[i + 1] ?? null;
  };
  return {
    dst: withLength(words[0]!),
    dev: at('dev')!,
    gateway: at('via'),
    onlink: words.includes('onlink'),
    table: Number(at('table')),
  };
}

const sameRoute = (a: Route, b: Route): boolean => a.dst === b.dst && a.table === b.table;
const sameRule = (a: Rule, b: Rule): boolean => a.from === b.from && a.table === b.table && a.priority === b.priority;

export class ModelKernel {
  rules: Rule[] = [];
  routes: Route[] = [];

  state(table: number): OwnedState {
    return { rules: this.rules.filter((r) => r.table === table), routes: this.routes.filter((r) => r.table === table) };
  }

  apply(argv: readonly string[]): void {
    const [object, verb, ...rest] = argv;
    if (object === 'rule') {
      const at = (k: string): string => rest[rest.indexOf(k) + 1]!;
      const rule = { from: withLength(at('from')), table: Number(at('lookup')), priority: Number(at('priority')) };
      if (verb === 'add') {
        if (this.rules.some((r) => sameRule(r, rule))) throw new Error(`rule exists: ${argv.join(' ')}`);
        this.rules.push(rule);
      } else this.remove(this.rules, (r) => sameRule(r, rule), argv);
      return;
    }
    const route = parseRoute(rest);
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
