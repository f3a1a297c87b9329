// srcroute heal's pure parts: the back-off accounting (heal-record.ts), the record as its file
// holds it, and check's finding (commands/heal.ts); FORWARD's nft table loaded again, with a fake
// nft. The runs themselves, on a real kernel: test/integration/heal.test.ts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { account, BACKOFF, clearRecord, parseRecord, recordPath, type HealRecord } from '../../src/hook/heal-record.js';
import { backoffFinding, runHeal } from '../../src/operator/commands/heal.js';
import { realDeps } from '../../src/cli.js';
import { loadConfig } from '../../src/hook/hook.js';
import { nftTableText } from '../../src/kernel/nft-table.js';
import type { OperatorDeps } from '../../src/operator/deps.js';
import { systemPaths } from '../../src/shared/paths.js';

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
    ['only the nft table went: a firewall', stopped(['nft']), true, /^nft monitor .*table inet srcroute-eth0v0/],
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

describe('FORWARD=yes: heal loads the nft table the kernel lost', () => {
  /** A box with no lease (no rule to restore) and eth0v0's nft file; nft answers `list` with `listed`. */
  function box(forward: boolean, listed: number, loaded = 0) {
    const root = mkdtempSync(join(tmpdir(), 'srcroute-heal-nft-'));
    const conf = join(root, 'etc/srcroute');
    mkdirSync(join(conf, 'nft'), { recursive: true });
    writeFileSync(join(conf, 'srcroute.env'), 'IPV6=no\n');
    writeFileSync(join(conf, 'eth0v0.env'), `TABLE=pub\n${forward ? 'FORWARD=yes\n' : ''}`);
    const ran: string[][] = [];
    const deps: OperatorDeps = {
      ...realDeps({ SRCROUTE_STATE_DIR: join(root, 'run') }, 0),
      configDir: conf,
      tables: () => new Map([['pub', 123]]),
      paths: systemPaths(root),
      dhcpcd: process.execPath,
      now: () => NOW,
      run: async (argv) => {
        ran.push([...argv]);
        return { code: argv[1] === 'list' ? listed : loaded, stdout: '', stderr: argv[1] === 'list' ? '' : 'nft: no' };
      },
      ip: () => { throw new Error('no lease: heal asks the kernel nothing'); },
      lock: async (_n, _o, fn) => fn(),
    };
    writeFileSync(join(conf, 'nft/eth0v0.nft'), nftTableText('eth0v0', loadConfig(deps, 'eth0v0').mark));
    const log: string[] = [];
    const out: string[] = [];
    const heal = (dry = false) => runHeal(deps, 'eth0v0', dry, { out: (l) => out.push(l), log: (l) => log.push(l) });
    const record = () => parseRecord(existsSync(join(root, 'run/heal-eth0v0')) ? readFileSync(join(root, 'run/heal-eth0v0'), 'utf8') : null);
    return { root, ran, log, out, heal, record, file: join(conf, 'nft/eth0v0.nft') };
  }

  it('the table gone: nft -f its file, logged, counted as the part nft', async () => {
    const b = box(true, 1);
    await b.heal();
    expect(b.ran).toEqual([['nft', 'list', 'table', 'inet', 'srcroute-eth0v0'], ['nft', '-f', b.file]]);
    expect(b.log).toEqual([
      'srcroute[eth0v0] heal: nft missing since the last lease event: restoring (1 of 3 within 10 minutes)',
      `srcroute[eth0v0] heal: nft table loaded from ${b.file}`,
    ]);
    expect(b.record()).toEqual(rec([NOW], false, ['nft']));
    rmSync(b.root, { recursive: true });
  });

  it('the table loaded: one nft list, nothing written', async () => {
    const b = box(true, 0);
    await b.heal();
    expect(b.ran).toEqual([['nft', 'list', 'table', 'inet', 'srcroute-eth0v0']]);
    expect([b.log, b.record()]).toEqual([[], null]);
    rmSync(b.root, { recursive: true });
  });

  it('FORWARD=no: nft is not even asked', async () => {
    const b = box(false, 1);
    await b.heal();
    expect([b.ran, b.log]).toEqual([[], []]);
    rmSync(b.root, { recursive: true });
  });

  it('--dry-run prints the command and loads nothing', async () => {
    const b = box(true, 1);
    await b.heal(true);
    expect(b.out).toEqual([`nft -f ${b.file}`]);
    expect(b.ran).toHaveLength(1);
    expect(b.record()).toBeNull();
    rmSync(b.root, { recursive: true });
  });

  it('nft -f failing is the interface\'s failure, logged with what nft said', async () => {
    const b = box(true, 1, 1);
    await expect(b.heal()).rejects.toThrow(/failed for eth0v0/);
    expect(b.log.at(-1)).toBe(`srcroute[eth0v0] heal: nft -f ${b.file} exited 1: nft: no`);
    rmSync(b.root, { recursive: true });
  });
});
