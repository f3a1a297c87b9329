// The boot test's cell selection (test/boot/cells.ts): SRCROUTE_BOOT's patterns, pure, so checked
// here in `npm test` while the boot test itself runs only by hand.
import { describe, expect, it } from 'vitest';
import { ALL_CELLS, cellName, cellNet, selectCells } from '../boot/cells.js';
import { keptEtcLine } from '../boot/services.js';

describe('SRCROUTE_BOOT', () => {
  it.each([
    [undefined, ALL_CELLS.length],
    ['', ALL_CELLS.length],
    ['debian-12:nm:vlan', 1],
    ['*:ifupdown:*', 4],
    ['debian-13:*:two-port, debian-12:nm:vlan', 4],
    ['*:*:*', 12],
  ])('%s selects %i cells', (selection, count) => {
    expect(selectCells(selection)).toHaveLength(count);
  });

  it('keeps the matrix order, the one-port priority cells first, whatever the order of the patterns', () => {
    const picked = selectCells('debian-13:networkd:vlan,debian-12:nm:vlan').map(cellName);
    expect(picked).toEqual(['debian-12:nm:vlan', 'debian-13:networkd:vlan']);
    const first = ALL_CELLS.slice(0, 3).map(cellName);
    expect(first).toEqual(['debian-12:nm:vlan', 'debian-12:ifupdown:vlan', 'debian-13:networkd:vlan']);
    expect(new Set(ALL_CELLS.map(cellName)).size).toBe(ALL_CELLS.length);
  });

  it.each([['debian-12:nm'], ['debian-14:*:*'], ['*:wicked:vlan']])('refuses %s', (selection) => {
    expect(() => selectCells(selection)).toThrow(/SRCROUTE_BOOT/);
  });

  it.each([
    ['two-port', '--parent ens4 ens4v0', 'ens4'],
    ['vlan', '--parent ens3 --vlan 100 ens3v0 ens3v1', 'ens3.100'],
  ] as const)('%s: srcroute install %s, the macvlans on %s', (layout, args, link) => {
    const net = cellNet({ release: 'debian-12', stack: 'ifupdown', layout });
    expect([net.installArgs, net.modemLink]).toEqual([args, link]);
  });
});

describe('the services cells', () => {
  it('are one per release, both leased by dhcpcd (srcroute-dhcpcd@: the rebind renumbers)', () => {
    const services = ALL_CELLS.filter((c) => c.services).map(cellName);
    expect(services).toEqual(['debian-12:nm:vlan', 'debian-13:networkd:vlan']);
  });

  it('purge keeps the admin\'s hooks.d script: its lines of the /etc listing, and no other', () => {
    expect(keptEtcLine('d 755 root:root /etc/srcroute ')).toBe(true);
    expect(keptEtcLine('f 755 root:root /etc/srcroute/hooks.d/50-srbt-record ')).toBe(true);
    expect(keptEtcLine(`${'d'.repeat(64)}  /etc/srcroute/hooks.d/50-srbt-record`)).toBe(true);
    expect(keptEtcLine('f 644 root:root /etc/srcroute/hooks.d/README ')).toBe(false);
    expect(keptEtcLine('f 644 root:root /etc/srcroute/srcroute.env ')).toBe(false);
    expect(keptEtcLine(`${'0'.repeat(64)}  /etc/srcroute/ens3v0.env`)).toBe(false);
  });
});
