// What a round of the hook is asked to make true, and what that means in the kernel: the plan's
// two ends, in a module of their own so that the readers (kernel-state.ts) and the planners
// (plan.ts, plan6.ts) share them without importing each other.
import type { Lease } from './event.js';
import type { News6 } from './event6.js';
import type { Route } from '../kernel/kernel.js';
import type { Rule } from '../kernel/rule.js';

/** What the kernel must hold for one interface and family: what the event or lease calls for. */
export type Want =
  /** IPv4: this lease is bound. */
  | { kind: 'lease'; lease: Lease }
  /** IPv4: the lease ended; an address the interface still holds keeps its rules and routes. */
  | { kind: 'ended' }
  /** IPv6: the interface's global addresses and its router, corrected by what the event tells. */
  | { kind: 'follow'; news: News6 }
  /** Nothing of srcroute's (IPv6 with no router left, the link gone, flush). */
  | { kind: 'nothing' };

/** What the kernel must hold for one interface and family. */
export interface Desired {
  rules: Rule[];
  routes: Route[];
}
