// What a round of the hook is asked to make true, and what that means in the kernel: the plan's
// two ends, and what the events tell, in a module of their own so that the event readers
// (event.ts, event6.ts), the kernel reader (kernel-state.ts) and the planners (plan.ts, plan6.ts)
// share them without importing each other.
import type { Family, Route } from '../kernel/kernel.js';
import type { Rule } from '../kernel/rule.js';

/** An IPv4 lease as srcroute routes it. */
export interface Lease {
  address: string;
  prefix: number;
  /** The default route's gateway; null when the server says the default is on-link. */
  gateway: string | null;
  /** The gateway lies outside the lease's subnet (or the lease is a /32): route it `onlink`. */
  onlink: boolean;
}

/** What an RA tells (dhcpcd's nd* variables): the router to route through, and the on-link prefixes. */
export interface Advert {
  /** The first router with a lifetime left, or null when none has. */
  router: string | null;
  /** On-link prefixes: flag L and valid lifetime left (a prefix that runs out leaves the set). */
  onlink: string[];
}

/** What an IPv6 event tells about the interface (event6.ts). */
export interface News6 {
  /** Present on a ROUTERADVERT only: other events say nothing about routers. */
  advert?: Advert;
  /** Global addresses the event says the interface holds, and those it says are gone. */
  held: string[];
  lost: string[];
}

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

/** What an event wants of each family it concerns (a link going away concerns both). */
export type Wants = Partial<Record<Family, Want>>;

/**
 * What the kernel was made to hold for one interface and family, after which event (hooks.d hears of it: followed.ts).
 */
export interface Followed {
  iface: string;
  family: Family;
  /** The DHCP client's reason (validated by event.ts before any round ran). */
  reason: string;
  table: number;
  desired: Desired;
}
