// Three places accept or refuse an interface name: event.ts (the hook and the installer), the sh
// dispatcher (before it builds /etc/dhcpcd/$interface.exit-hook) and the dhclient enter hook.
// They must agree on every name.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isInterfaceName } from '../../src/hook/event.js';

const root = join(__dirname, '..', '..');
const patternIn = (file: string): string =>
  /^\s*('' \| .*\?{16}\*)\) return [01] ;;$/m.exec(readFileSync(join(root, file), 'utf8'))?.[1] ?? `no pattern in ${file}`;

const NAMES = ['eth0v0', 'eth0.100', 'wan_1', 'a', 'x-y', 'abcdefghijklmno', 'abcdefghijklmnop', '', '-eth0', '.eth0', 'eth0/1',
  '../etc', 'eth 0', 'eth0:1', 'eth0$', '$(reboot)', 'eth0\nx', 'ethé', '*', 'eth0*'];

it('the dhclient enter hook uses the dispatcher\'s pattern', () => {
  expect(patternIn('hooks/dhclient-enter-hook')).toBe(patternIn('hooks/dhcpcd.exit-hook'));
});

it('the dispatcher\'s pattern and event.ts agree on every name', () => {
  const script = `for n do case $n in ${patternIn('hooks/dhcpcd.exit-hook')}) echo no ;; *) echo yes ;; esac; done`;
  const r = spawnSync('sh', ['-c', script, 'sh', ...NAMES], { encoding: 'utf8' });
  expect(r.stdout.trim().split('\n')).toEqual(NAMES.map((n) => (isInterfaceName(n) ? 'yes' : 'no')));
});
