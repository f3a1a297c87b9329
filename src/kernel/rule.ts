// A policy rule as srcroute models it: every selector it writes (from, to, fwmark/mask, iif), the
// table it looks up and the suppressors of that lookup, with one equality and one argument list
// that name all of them. All of them, because the kernel deletes the *first* rule that matches the
// selectors a delete names and compares no selector the delete leaves out (fib_rules.c,
// rule_find): `ip rule del from all lookup 124 priority 997 protocol 213` removes a `fwmark
// 0x7b/0xff lookup 124` rule (measured, iproute2 6.1, kernel 6.1). Read from `ip -N -j rule show`
// (keys checked on iproute2 6.1: src/srclen, dst/dstlen, fwmark/fwmask as hex strings, fwmask
// absent for 0xffffffff, iif, suppress_prefixlen as a number, suppress_ifgroup as a string).
import { ANY, entries, protocolOf, str, tableOf, withLength, type Family } from './kernel.js';
import { hostOrPrefix } from '../shared/prefix.js';

export interface Mark {
  value: number;
  mask: number;
}

export interface Rule {
  priority: number;
  /** Source prefix with its length (`100.64.0.50/32`); the family's ANY for `from all`. */
  from: string;
  /** Destination prefix with its length; the family's ANY for `to all`. */
  to: string;
  fwmark: Mark | null;
  /** Input interface (`iif lo`: made on this box); null for any. */
  iif: string | null;
  table: number;
  /** A route found with a prefix this short or shorter does not count (`suppress_prefixlength 0`: main's default). */
  suppressPrefixlength: number | null;
  suppressIfgroup: string | null;
}

/** A rule as the kernel shows it, with its protocol (0 when ip shows none). */
export type SeenRule = Rule & { protocol: number };

const familyOf = (prefix: string): Family => (prefix.includes(':') ? 6 : 4);
const FULL_MASK = 0xffffffff;

/** A rule with only the selectors given: `from` decides the family of the defaults. */
export function makeRule(fields: Partial<Rule> & Pick<Rule, 'from' | 'table' | 'priority'>): Rule {
  const any = ANY[familyOf(fields.from)];
  return { to: any, fwmark: null, iif: null, suppressPrefixlength: null, suppressIfgroup: null, ...fields };
}

/** The same mark and mask, or both none. */
export const sameMark = (a: Mark | null, b: Mark | null): boolean => a?.value === b?.value && a?.mask === b?.mask;

export const sameRule = (a: Rule, b: Rule): boolean =>
  a.priority === b.priority && a.table === b.table && sameMatch(a, b);

/** The same packets, the same lookup: every field but the preference and the table. */
export const sameMatch = (a: Rule, b: Rule): boolean =>
  a.from === b.from &&
  a.to === b.to &&
  sameMark(a.fwmark, b.fwmark) &&
  a.iif === b.iif &&
  a.suppressPrefixlength === b.suppressPrefixlength &&
  a.suppressIfgroup === b.suppressIfgroup;

const hex = (n: number): string => `0x${n.toString(16)}`;
const prefixWord = (prefix: string): string => (prefix === ANY[familyOf(prefix)] ? 'all' : hostOrPrefix(prefix));

/** The selectors and action as ip takes them, every one named (a delete then takes this rule alone). */
export function ruleWords(rule: Rule, tableWord: string = String(rule.table)): string[] {
  const { to, fwmark, iif, suppressPrefixlength: spl, suppressIfgroup: sig } = rule;
  return [
    'from',
    prefixWord(rule.from),
    ...(to === ANY[familyOf(to)] ? [] : ['to', hostOrPrefix(to)]),
    ...(iif === null ? [] : ['iif', iif]),
    ...(fwmark === null
      ? []
      : ['fwmark', fwmark.mask === FULL_MASK ? hex(fwmark.value) : `${hex(fwmark.value)}/${hex(fwmark.mask)}`]),
    'lookup',
    tableWord,
    ...(spl === null ? [] : ['suppress_prefixlength', String(spl)]),
    ...(sig === null ? [] : ['suppress_ifgroup', sig]),
  ];
}

const markOf = (r: Record<string, unknown>): Mark | null => {
  const value = str(r.fwmark);
  return value === null ? null : { value: Number(value), mask: Number(str(r.fwmask) ?? FULL_MASK) };
};

/** From `ip -4|-6 -N -j rule show …`. */
export function parseRules(json: unknown, family: Family = 4): SeenRule[] {
  return entries(json, 'rule show').map((r) => ({
    priority: Number(r.priority),
    from: withLength(str(r.src) ?? 'all', r.srclen, family),
    to: withLength(str(r.dst) ?? 'all', r.dstlen, family),
    fwmark: markOf(r),
    iif: str(r.iif),
    table: tableOf(r.table),
    suppressPrefixlength: typeof r.suppress_prefixlen === 'number' ? r.suppress_prefixlen : null,
    suppressIfgroup: str(r.suppress_ifgroup),
    protocol: protocolOf(r.protocol, 0),
  }));
}
