// FORWARD as check and status see it (src/operator/forward-check.ts): the nft table's file against
// the mark the config gives, the kernel's `nft list table` answer, status's line and check's
// findings with their fixes. Nothing at all with FORWARD=no.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/hook/config.js';
import { nftTableText } from '../../src/kernel/nft-table.js';
import type { ProgramRunner } from '../../src/kernel/program.js';
import { forwardFindings, forwardLine, readForward, type NftState } from '../../src/operator/forward-check.js';
import { tempDir } from '../support/tmp.js';

const mark = { value: 0x7b000000, mask: 0xff000000 };
const config: Config = { table: 123, tableName: 'pub', priority: 1000, ip: '/usr/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: true, mark };
const nft = (code: number): ProgramRunner => async (argv) => {
  expect(argv).toEqual(['nft', 'list', 'table', 'inet', 'srcroute-eth0v0']);
  return { code, stdout: '', stderr: '' };
};
const dirWith = (text: string | null): string => {
  const dir = tempDir('srcroute-fwd');
  mkdirSync(join(dir, 'nft'));
  if (text !== null) writeFileSync(join(dir, 'nft', 'eth0v0.nft'), text);
  return dir;
};

describe('FORWARD in check and status', () => {
  it.each<[string, string | null, number, NftState]>([
    ['the file for this mark, loaded', nftTableText('eth0v0', mark), 0, 'ok'],
    ['no file', null, 0, 'missing'],
    ['the file for another mark', nftTableText('eth0v0', { ...mark, value: 0x7c000000 }), 0, 'stale'],
    ['the file, not loaded', nftTableText('eth0v0', mark), 1, 'unloaded'],
    ['no nft', nftTableText('eth0v0', mark), 127, 'unknown'],
  ])('%s: %s', async (_, text, code, state) => {
    const f = await readForward(nft(code), dirWith(text), 'eth0v0', config);
    expect(f?.nft).toBe(state);
    expect(forwardLine(f!)).toBe(`forward on, mark 0x7b000000/0xff000000, nft ${state}`);
    expect(forwardLine(f!).length).toBeLessThanOrEqual(78);
    const findings = forwardFindings('eth0v0', f, (args) => `sudo srcroute install ${args}`);
    expect(findings.map((x) => x.id)).toEqual(state === 'ok' ? [] : [`forward-nft-${state}`]);
  });

  it('says how to fix each: install --forward writes the file, the unit loads it', async () => {
    const fix = async (text: string | null, code: number) =>
      forwardFindings('eth0v0', await readForward(nft(code), dirWith(text), 'eth0v0', config), (a) => `sudo srcroute install ${a}`)[0]!.fix;
    expect(await fix(null, 0)).toEqual(['sudo srcroute install --forward eth0v0']);
    expect((await fix('x', 0))[1]).toBe('sudo srcroute install --forward eth0v0');
    expect((await fix(nftTableText('eth0v0', mark), 1))[0]).toMatch(/^systemctl restart srcroute-nft@eth0v0.service/);
  });

  it('FORWARD=no: nothing read, nothing said', async () => {
    const never: ProgramRunner = async () => { throw new Error('nft asked with FORWARD=no'); };
    expect(await readForward(never, dirWith(null), 'eth0v0', { ...config, forward: false })).toBeNull();
    expect(forwardFindings('eth0v0', null, (a) => a)).toEqual([]);
  });
});
