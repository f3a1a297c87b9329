// srcroute heal's pure parts: the back-off accounting (heal-record.ts), the record as its file
// holds it, and check's finding (commands/heal.ts). The runs themselves, on a real kernel:
// test/integration/heal.test.ts.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { account, BACKOFF, clearRecord, parseRecord, recordPath, type HealRecord } from '../../src/hook/heal-record.js';
import { backoffFinding } from '../../src/operator/commands/heal.js';

const MIN = 60_000;
const NOW = 1_000 * MIN;
const rec = (restored: number[], backedOff = false, parts = ['rule']): HealRecord => ({ restored, backedOff, parts });

describe('back-off accounting: 3 restorations within 10 minutes, then stop', () => {
  it('counts the figures it says', () => expect(BACKOFF).toEqual({ restorations: 3, windowMs: 10 * MIN }));

  it.each([
    ['no record: restore, the first', null, 'restore', rec([NOW])],
    ['one recent: restore, the second', rec([NOW - MIN]), 'restore', rec([NOW - MIN, NOW])],
    ['two recent: restore, the third', rec([NOW - 2 * MIN, NOW - MIN]), 'restore', rec([NOW - 2 * MIN, NOW - MIN, NOW])],
    ['three recent: back off', rec([NOW - 3 * MIN, NOW - 2 * MIN, NOW - MIN]), 'back-off', rec([NOW - 3 * MIN, NOW - 2 * MIN, NOW - MIN], true)],
    ['three, the oldest 10 minutes ago: it no longer counts', rec([NOW - 10 * MIN, NOW - 2 * MIN, NOW - MIN]), 'restore', rec([NOW - 2 * MIN, NOW - MIN, NOW])],
    ['three, all an hour old: restore, the first again', rec([NOW - 62 * MIN, NOW - 61 * MIN, NOW - 60 * MIN]), 'restore', rec([NOW])],
    ['backed off: hold, silently, unchanged', rec([NOW - 3 * MIN], true), 'hold', rec([NOW - 3 * MIN], true)],
    ['backed off long ago: still hold (only a lease event or sync resets)', rec([NOW - 600 * MIN], true), 'hold', rec([NOW - 600 * MIN], true)],
    ['a restoration "in the future" (the clock went back): it does not count', rec([NOW + MIN, NOW + 2 * MIN, NOW + 3 * MIN]), 'restore', rec([NOW])],
  ] as const)('%s', (_, before, act, after) => {
    expect(account(before, ['rule'], NOW)).toEqual({ act, record: after });
  });

  it('keeps the parts found missing, for check to name the deleter', () => {
    expect(account(rec([NOW - 3, NOW - 2, NOW - 1]), ['local'], NOW).record.parts).toEqual(['local']);
  });
});

describe('the record as its file holds it', () => {
  it('reads back what account wrote', () => {
    const r = rec([NOW, NOW + 1], true, ['connected', 'default']);
    expect(parseRecord(JSON.stringify(r))).toEqual(r);
  });
  it.each([[null], [''], ['{'], ['[]'], ['{"restored":["x"],"backedOff":false,"parts":[]}'], ['{"restored":[],"backedOff":"yes","parts":[]}'], ['{"restored":[],"backedOff":true}']])(
    'anything else counts as no record: %j',
    (text) => expect(parseRecord(text)).toBeNull(),
  );

  it('a lease event removes a record, and is no failure without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srcroute-heal-'));
    try {
      writeFileSync(recordPath(dir, 'eth0v0'), '{}');
      clearRecord(dir, 'eth0v0');
      expect(existsSync(recordPath(dir, 'eth0v0'))).toBe(false);
      expect(() => clearRecord(dir, 'eth0v0')).not.toThrow();
      expect(() => clearRecord(join(dir, 'none'), 'eth0v0')).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("check's finding names what to configure", () => {
  const stopped = (parts: string[]): HealRecord => rec([NOW - 2, NOW - 1, NOW], true, parts);
  it.each([
    ['no record', null, false, null],
    ['restoring, not stopped', rec([NOW]), false, null],
    ['networkd runs', stopped(['rule', 'local']), true, /ManageForeignRoutingPolicyRules=no/],
    ['only the local rule went: wg-quick', stopped(['local']), false, /wg-quick Table=/],
    ['anything else: ip monitor shows who', stopped(['rule', 'default']), false, /^ip monitor rule route/],
  ] as const)('%s', (_, record, networkd, fix) => {
    const found = backoffFinding('eth0v0', record, networkd);
    if (fix === null) return expect(found).toEqual([]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ id: 'heal-backoff', iface: 'eth0v0' });
    expect(found[0]!.fix[0]).toMatch(fix);
    expect(found[0]!.fix[1]).toBe('srcroute sync eth0v0   # restores them and lets heal restore again');
  });
});
