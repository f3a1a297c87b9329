// hooks.d's notifications: the pure core (decide, toldOf: which event sequences make which calls),
// the parsers of /proc/net/if_inet6 and of the memory file, and the hook's one look
// (followed.ts) against a real memory in a temp dir with a starter that records what it was
// asked: a RENEW of the same address neither loads the starter nor starts anything.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hooksNotifier } from '../../src/hook/followed.js';
import type { Followed } from '../../src/hook/want.js';
import { decide, NOTHING, parseMemory, temporaries, toldOf } from '../../src/hook/notify.js';
import type { Call, Start, Told } from '../../src/hook/notify.js';
import type { Family } from '../../src/kernel/kernel.js';
import { addressRules } from '../../src/hook/address-rules.js';

/** One event as the core sees it: reason, addresses routed after it, gateway, the temporaries among them. */
type Step = [reason: string, routed: string[], gateway: string, temporary?: string[]];

const shown = (t: Told): string => `${t.addresses.join(' ') || '-'} via ${t.gateway || '-'}`;
const callText = (c: Call): string => `${shown(c.old)} -> ${shown(c.now)}`;

/** The calls a sequence of events makes, through decide and toldOf as notify.ts chains them. */
function calls(steps: Step[]): string[] {
  let last: Told = NOTHING;
  const out: string[] = [];
  for (const [reason, routed, gateway, temporary = []] of steps) {
    const { call, remember } = decide(last, toldOf(routed, gateway, new Set(temporary)), reason);
    out.push(call === null ? `${reason}: none` : `${reason}: ${callText(call)}`);
    last = remember;
  }
  return out;
}

const A = '100.64.0.76';
const B = '100.64.0.128';
const GW = '100.64.0.1';
const S1 = '2001:db8:1::1e3';
const S2 = '2001:db8:2::1e3';
const T1 = '2001:db8:1::dead:beef';
const R = 'fe80::1';

const first = `BOUND: - via - -> ${A} via ${GW}`;
const CASES: [name: string, steps: Step[], expected: string[]][] = [
  ['BOUND on a fresh boot: new only', [['BOUND', [A], GW]], [first]],
  [
    'RENEW of the same lease: no call',
    [['BOUND', [A], GW], ['RENEW', [A], GW], ['REBIND', [A], GW]],
    [first, 'RENEW: none', 'REBIND: none'],
  ],
  [
    'NAK then BOUND: one call with old and new',
    [['BOUND', [A], GW], ['NAK', [], ''], ['BOUND', [B], GW]],
    [first, 'NAK: none', `BOUND: ${A} via ${GW} -> ${B} via ${GW}`],
  ],
  [
    'NAK then BOUND of the same address: nothing to tell',
    [['BOUND', [A], GW], ['NAK', [], ''], ['BOUND', [A], GW]],
    [first, 'NAK: none', 'BOUND: none'],
  ],
  [
    'NAK then FAIL: the loss is told then',
    [['BOUND', [A], GW], ['NAK', [], ''], ['FAIL', [], '']],
    [first, 'NAK: none', `FAIL: ${A} via ${GW} -> - via -`],
  ],
  ['EXPIRE: old only', [['BOUND', [A], GW], ['EXPIRE', [], '']], [first, `EXPIRE: ${A} via ${GW} -> - via -`]],
  [
    'the gateway alone changes',
    [['BOUND', [A], GW], ['RENEW', [A], '100.64.0.2']],
    [first, `RENEW: ${A} via ${GW} -> ${A} via 100.64.0.2`],
  ],
  ['an end with nothing routed before: no call', [['STOPPED', [], '']], ['STOPPED: none']],
  [
    'IPv6: an address added, then the old prefix removed',
    [['ROUTERADVERT', [S1], R], ['ROUTERADVERT', [S1, S2], R], ['ROUTERADVERT', [S2], R]],
    [
      `ROUTERADVERT: - via - -> ${S1} via ${R}`,
      `ROUTERADVERT: ${S1} via ${R} -> ${S1} ${S2} via ${R}`,
      `ROUTERADVERT: ${S1} ${S2} via ${R} -> ${S2} via ${R}`,
    ],
  ],
  [
    'IPv6: temporary addresses come and go unseen',
    [['ROUTERADVERT', [S1], R], ['ROUTERADVERT', [S1, T1], R, [T1]], ['ROUTERADVERT', [S1], R]],
    [`ROUTERADVERT: - via - -> ${S1} via ${R}`, 'ROUTERADVERT: none', 'ROUTERADVERT: none'],
  ],
  ['IPv6: only temporaries routed is nothing routed', [['ROUTERADVERT', [T1], R, [T1]]], ['ROUTERADVERT: none']],
  [
    'IPv6: the router lost (STOP6): old only',
    [['BOUND6', [S1], R], ['STOP6', [], '']],
    [`BOUND6: - via - -> ${S1} via ${R}`, `STOP6: ${S1} via ${R} -> - via -`],
  ],
];

describe('which events call hooks.d, and with what', () => {
  it.each(CASES)('%s', (_name, steps, expected) => {
    expect(calls(steps)).toEqual(expected);
  });
});

describe('/proc/net/if_inet6', () => {
  const text = [
    '20010db80001000000000000deadbeef0 03 40 00 01   eth0v0', // 33 hex digits: not an address line
    '20010db80001000000000000deadbeef 03 40 00 01   eth0v0',
    '20010db80001000000000000000001e3 03 40 00 00   eth0v0',
    '20010db8000200000000000000000001 04 40 00 01   eth0v1',
    'fe800000000000000000000000000001 03 40 20 80   eth0v0',
  ].join('\n');
  it("takes the interface's addresses flagged temporary (0x01), canonical", () => {
    expect([...temporaries(text, 'eth0v0')]).toEqual(['2001:db8:1::dead:beef']);
    expect([...temporaries(text, 'eth0v1')]).toEqual(['2001:db8:2::1']);
    expect([...temporaries('', 'eth0v0')]).toEqual([]);
  });
});

describe('the memory file', () => {
  it.each([
    ['told', `${A} via ${GW}\n${A}\n${GW}\n`, 4, { addresses: [A], gateway: GW }],
    ['nothing told', '\n\n\n', 4, NOTHING],
    ['missing', '', 4, NOTHING],
    ['garbled', `x\n${A} rm -rf\n${GW}\n`, 4, NOTHING],
    ['the wrong family', `x\n${A}\n${GW}\n`, 6, NOTHING],
    ['IPv6, two addresses', `x\n${S1} ${S2}\n${R}\n`, 6, { addresses: [S1, S2], gateway: R }],
  ] as const)('%s', (_name, text, family, told) => {
    expect(parseMemory(text, family as Family)).toEqual(told);
  });
});

describe("the hook's one look (followed.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'srcroute-notify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ifInet6 = join(dir, 'if_inet6');
  writeFileSync(ifInet6, '20010db80001000000000000deadbeef 03 40 00 01   eth0v0\n');

  function followed(reason: string, family: Family, from: string[], gateway: string | null): Followed {
    const any = family === 4 ? '0.0.0.0/0' : '::/0';
    const routes = gateway === null ? [] : [{ dst: any, dev: 'eth0v0', gateway, onlink: false, table: 123 }];
    const rules = from.flatMap((f) => addressRules(f, [], 123, 1000));
    return { iface: 'eth0v0', family, reason, table: 123, desired: { rules, routes } };
  }

  it('a RENEW of the same address loads and starts nothing; a renumbering starts once, old and new', async () => {
    const loaded: string[] = [];
    const started: string[] = [];
    const log: string[] = [];
    const notify = hooksNotifier({
      stateDir: dir,
      ifInet6,
      starter: async () => {
        loaded.push('starter');
        return (f, call) => (started.push(`${f.reason} ${f.family}: ${callText(call)}`), true);
      },
    });
    const report = { out: () => {}, log: (l: string) => void log.push(l), tag: 'srcroute[eth0v0] TEST' };
    const steps: [Followed, number][] = [
      [followed('BOUND', 4, [`${A}/32`], GW), 1],
      [followed('RENEW', 4, [`${A}/32`], GW), 1],
      [followed('RENEW', 4, [`${A}/32`], GW), 1],
      [followed('NAK', 4, [], null), 1],
      [followed('BOUND', 4, [`${B}/32`], GW), 2],
      [followed('RENEW', 4, [`${B}/32`], GW), 2],
      [followed('ROUTERADVERT', 6, [`${S1}/128`], R), 3],
      [followed('ROUTERADVERT', 6, [`${S1}/128`, '2001:db8:1::dead:beef/128'], R), 3],
      [followed('ROUTERADVERT', 6, [`${S1}/128`, '2001:db8:1::dead:beef/128'], R), 3],
    ];
    for (const [f, count] of steps) {
      await notify(f, report);
      expect(started.length, `${f.reason} ${f.desired.rules.map((r) => r.from)}`).toBe(count);
    }
    expect(started).toEqual([
      `BOUND 4: - via - -> ${A} via ${GW}`,
      `BOUND 4: ${A} via ${GW} -> ${B} via ${GW}`,
      `ROUTERADVERT 6: - via - -> ${S1} via ${R}`,
    ]);
    expect(loaded).toEqual(['starter', 'starter', 'starter']);
    expect(readFileSync(join(dir, 'eth0v0.hooks4'), 'utf8')).toBe(`${B} via ${GW}\n${B}\n${GW}\n`);
    const memory6 = `${S1} 2001:db8:1::dead:beef via ${R}\n${S1}\n${R}\n`;
    expect(readFileSync(join(dir, 'eth0v0.hooks6'), 'utf8')).toBe(memory6);
    expect(log).toEqual([]);
  });

  it('a starter that could not start leaves the memory as it was: the next change tells the old address', async () => {
    const sub = mkdtempSync(join(dir, 'fail-'));
    const started: string[] = [];
    let works = true;
    const starter = async (): Promise<Start> => (_f, call) => (works && started.push(callText(call)), works);
    const notify = hooksNotifier({ stateDir: sub, ifInet6, starter });
    const report = { out: () => {}, log: () => {}, tag: 't' };
    await notify(followed('BOUND', 4, [`${A}/32`], GW), report);
    works = false;
    await notify(followed('BOUND', 4, [`${B}/32`], GW), report);
    works = true;
    await notify(followed('BOUND', 4, ['100.64.0.200/32'], GW), report);
    expect(started).toEqual([`- via - -> ${A} via ${GW}`, `${A} via ${GW} -> 100.64.0.200 via ${GW}`]);
  });

  it('never throws: an unusable state dir is one warning', async () => {
    const log: string[] = [];
    const starter = async (): Promise<Start> => () => true;
    const notify = hooksNotifier({ stateDir: join(dir, 'missing', 'deeper'), ifInet6, starter });
    await notify(followed('BOUND', 4, [`${A}/32`], GW), { out: () => {}, log: (l) => void log.push(l), tag: 't' });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^t: warning: cannot remember/);
  });
});
