// `srcroute install --forward` on the built bundle, staged under --root (install.sh hands over
// to it): FORWARD=yes in IFACE.env, the nft table for the interface's mark (the second
// interface's table, pub1, gives 0x7c000000) that nftables takes (`nft -c`, in a namespace of its
// own), a unit systemd-analyze accepts; a second run changes nothing; uninstall leaves DIR empty.
// The live part (systemctl enable, restart; uninstall's disable --now) is the plan's, checked in
// test/golden/install/debian12-forward.txt; the table's effect is forward.test.ts's.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nftTableText } from '../../src/kernel/nft-table.js';
import { STD_PATH } from '../support/bundle.js';
import { Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { run } from '../support/run.js';

const ok = prerequisites('install --forward', ['root', 'ip', 'nft', 'systemd-analyze']);
const INSTALL = join(__dirname, '..', '..', 'install.sh');
const PATH = `${dirname(process.execPath)}:${STD_PATH}`;

describe.skipIf(!ok)('install --forward, staged', () => {
  const root = mkdtempSync(join(tmpdir(), 'srcroute-root-'));
  let ns: Netns | undefined;
  afterAll(() => {
    ns?.destroy();
    rmSync(root, { recursive: true, force: true });
  });
  const install = (...args: string[]) => run(['sh', INSTALL, '--root', root, ...args], { env: { PATH } });
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');

  it('writes FORWARD=yes, each interface\'s table for its own mark, and the unit; again, nothing', () => {
    const r = install('--forward', 'eth0v0', 'eth0v1');
    expect(r.code, r.stderr).toBe(0);
    for (const i of ['eth0v0', 'eth0v1']) expect(read(`/etc/srcroute/${i}.env`).split('\n')).toContain('FORWARD=yes');
    expect(read('/etc/srcroute/nft/eth0v0.nft')).toBe(nftTableText('eth0v0', { value: 0x7b000000, mask: 0xff000000 }));
    expect(read('/etc/srcroute/nft/eth0v1.nft')).toBe(nftTableText('eth0v1', { value: 0x7c000000, mask: 0xff000000 }));
    ns = Netns.create('nftc');
    const c = ns.run(['nft', '-c', '-f', join(root, 'etc/srcroute/nft/eth0v1.nft')]);
    expect(c.stderr + c.stdout).toBe('');
    const unit = join(root, 'etc/systemd/system/srcroute-nft@.service');
    const v = run(['systemd-analyze', 'verify', `${unit.replace('@.service', '@eth0v0.service')}`], { env: { PATH, SYSTEMD_LOG_LEVEL: 'warning' } });
    expect(v.stderr.split('\n').filter((l) => /srcroute-nft/.test(l))).toEqual([]);
    expect(install('--forward', 'eth0v0', 'eth0v1').stdout).toContain('already installed: nothing changed');
  });

  it('uninstall --purge removes them with the rest', () => {
    const r = run(['sh', INSTALL, '--root', root, '--uninstall', '--purge'], { env: { PATH } });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(root)).toEqual([]);
  });
});
