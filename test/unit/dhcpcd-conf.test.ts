// dhcpcd.conf read in one place (operator/dhcpcd-conf.ts), and shell patterns matched in one place
// (shared/fnmatch.ts) for dhcpcd's allowinterfaces and networkd's Name= alike.
import { describe, expect, it } from 'vitest';
import { allowedInterfaces, hasGlobalOption, hasInterfaceBlock, hasNogateway } from '../../src/operator/dhcpcd-conf.js';
import { fnmatch } from '../../src/shared/fnmatch.js';

const CONF = [
  '# a comment: interface eth0v9',
  'persistent',
  'allowinterfaces eth0 eth0v*, wlan?  # the LAN and the macvlans',
  'interface eth0v0 # srcroute',
  '\tnogateway',
  'interface eth1',
  '',
].join('\n');

describe('dhcpcd.conf', () => {
  it.each([
    ['eth0v0', true],
    ['eth1', true],
    ['eth0v9', false], // only in a comment
    ['eth0', false],
  ])('hasInterfaceBlock %s: %s', (iface, has) => {
    expect(hasInterfaceBlock(CONF, iface)).toBe(has);
  });

  it('allowedInterfaces: every pattern of every allowinterfaces line, comments left out', () => {
    expect(allowedInterfaces(CONF)).toEqual(['eth0', 'eth0v*', 'wlan?']);
    expect(allowedInterfaces('persistent\n')).toEqual([]);
  });

  it('nogateway in a block counts for its interface only; a global option only before the first block', () => {
    expect([hasNogateway(CONF, 'eth0v0'), hasNogateway(CONF, 'eth1')]).toEqual([true, false]);
    expect([hasGlobalOption(CONF, 'persistent'), hasGlobalOption(CONF, 'nogateway')]).toEqual([true, false]);
  });
});

describe('fnmatch', () => {
  it.each([
    ['eth0v*', 'eth0v0', true],
    ['eth0v*', 'eth0', false],
    ['wlan?', 'wlan0', true],
    ['wlan?', 'wlan10', false],
    ['eth[01]', 'eth1', true],
    ['eth[!01]', 'eth1', false],
    ['eth[!01]', 'eth2', true],
    ['br.lan', 'br-lan', false], // a dot is a dot
    ['*', 'anything', true],
  ])('%s against %s: %s', (pattern, name, matches) => {
    expect(fnmatch(pattern, name)).toBe(matches);
  });
});
