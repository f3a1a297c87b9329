// How `srcroute check` reads Debian's dhcpcd.service (src/operator/dhcpcd-service.ts): the unit
// as Debian ships it (test/units/debian-12), with drop-ins. What install.sh knows of it too:
// shared-facts.test.ts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hiddenHome, readService, serviceSettings } from '../../src/operator/dhcpcd-service.js';
import { systemPaths } from '../../src/shared/paths.js';
import { tempDir } from '../support/tmp.js';

const REPO = join(__dirname, '..', '..');
const DEBIAN = readFileSync(join(REPO, 'test/units/debian-12/dhcpcd.service'), 'utf8');
const DEBIAN_WRITABLE = ['/var/lib/dhcpcd', '/run/dhcpcd', '/etc/wpa_supplicant', '/etc/dhcpcd.conf', '/etc/resolv.conf'];

describe('dhcpcd.service', () => {
  it('as Debian 12 ships it: no JIT, no /home, a read-only /run but for its own paths', () => {
    expect(serviceSettings([DEBIAN])).toEqual({ noJit: true, hidesHome: true, readOnlyRun: true, writable: DEBIAN_WRITABLE });
  });

  it.each([
    ['srcroute\'s drop-in', '[Service]\nReadWritePaths=-/run/srcroute\n', { writable: [...DEBIAN_WRITABLE, '/run/srcroute'] }],
    ['ProtectHome=no', '[Service]\nProtectHome=no\n', { hidesHome: false }],
    ['ProtectHome=tmpfs', '[Service]\nProtectHome=tmpfs\n', { hidesHome: true }],
    ['MemoryDenyWriteExecute=no', '[Service]\nMemoryDenyWriteExecute=no\n', { noJit: false }],
    ['an empty ReadWritePaths= resets the list', '[Service]\nReadWritePaths=\nReadWritePaths=/run/x\n', { writable: ['/run/x'] }],
    ['outside [Service]', '[Unit]\nMemoryDenyWriteExecute=no\n', {}],
  ])('with a drop-in: %s', (_, dropIn, changed) => {
    const base = serviceSettings([DEBIAN]);
    expect(serviceSettings([DEBIAN, dropIn])).toEqual({ ...base, ...changed });
  });

  it('is read from the unit directory that wins, with drop-ins by name across directories', () => {
    const root = tempDir('srcroute-units');
    const paths = systemPaths(root);
    expect(readService(paths)).toBeNull();
    const put = (path: string, text: string) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    put('lib/systemd/system/dhcpcd.service', DEBIAN);
    put('lib/systemd/system/dhcpcd.service.d/50-home.conf', '[Service]\nProtectHome=no\n');
    put('etc/systemd/system/dhcpcd.service.d/50-home.conf', '[Service]\nProtectHome=yes\n'); // replaces the one above
    put('etc/systemd/system/dhcpcd.service.d/srcroute.conf', '[Service]\nReadWritePaths=-/run/srcroute\n');
    const s = readService(paths)!;
    expect(s.unit).toBe(join(root, 'lib/systemd/system/dhcpcd.service'));
    expect(s.hidesHome).toBe(true);
    expect(s.writable).toContain('/run/srcroute');
  });

  it('hiddenHome', () => {
    expect(hiddenHome('/root/.nvm/versions/node/v20.20.2/bin/node')).toBe('/root');
    expect(hiddenHome('/home/u/bin/node')).toBe('/home');
    expect(hiddenHome('/homely/node')).toBeNull();
    expect(hiddenHome('/usr/bin/node')).toBeNull();
  });
});
