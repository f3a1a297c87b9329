// The ROUTERADVERT gate in the sh dispatcher: an RA that repeats the last one srcroute
// acted on must not start Node, and the gate itself must not fork. Run here by dash and bash
// (dhcpcd-run-hooks is /bin/sh, Debian's dhclient-script bash sources the same file) on the
// function as the dispatcher defines it; the Node side (writing the signature) through main().
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { raSignatureFiles } from '../../src/hook/ra-signature.js';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';
import { emptyConfigDir, removeEmptyConfigDir, runMain } from '../support/fake-deps.js';
import { which } from '../support/prereq.js';

const DISPATCHER = readFileSync(join(__dirname, '..', '..', 'hooks', 'dhcpcd.exit-hook'), 'utf8');
/** The dispatcher's functions without the call at its end. */
const FUNCTIONS = DISPATCHER.slice(0, DISPATCHER.indexOf('\nsrcroute_dispatch\n'));

const RA = {
  reason: 'ROUTERADVERT', interface: 'eth0v0', pid: '18', if_up: 'true', nd1_acquired: '6000', nd1_now: '6000',
  nd1_from: 'fe80::1', nd1_lifetime: '90', nd1_addr1: '2001:db8:1::5/64', nd1_prefix_information1_prefix: '2001:db8:1::',
  nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '120',
};

const shells = ['dash', 'bash'].filter((s) => which(s) !== null);

/** Run the gate with `env`; its status (0: skip Node) and the signature it built. */
function gate(shell: string, env: Record<string, string>, stored: string | null): { skip: boolean; sig: string } {
  const file = join(tempDir('srcroute-gate'), 'eth0v0.ra');
  if (stored !== null) writeFileSync(file, `${stored}\n`);
  const r = spawnSync(shell, ['-c', `${FUNCTIONS}\nsrcroute_ra_gate "$1"; echo "$? $srcroute_sig"`, 'gate', file], { env, encoding: 'utf8' });
  const [status, ...sig] = r.stdout.trim().split(' ');
  return { skip: status === '0', sig: sig.join(' ') };
}

afterAll(() => removeEmptyConfigDir());

describe.each(shells)('the RA gate in %s', (shell) => {
  const sig = gate(shell, RA, null).sig;

  it('builds a signature of pid, if_up, the 10-minute bucket and the RA set', () => {
    expect(sig).toBe('pid=18 up=true t=10 r=fe80::1/1 a=2001:db8:1::5/64 p=2001:db8:1::/64/LA/1');
  });

  it.each<[string, Record<string, string>, boolean]>([
    ['a fresh RA equal to the stored one is skipped', RA, true],
    ['an RA that is not fresh (an expiry, a drop) runs', { ...RA, nd1_now: '6005' }, false],
    ['a new router lifetime state runs', { ...RA, nd1_lifetime: '0' }, false],
    ['a second router runs', { ...RA, nd2_from: 'fe80::2', nd2_lifetime: '90' }, false],
    ['a new address runs', { ...RA, nd1_addr2: '2001:db8:2::5/64' }, false],
    ['a prefix running out runs', { ...RA, nd1_prefix_information1_vltime: '0' }, false],
    ['a restarted dhcpcd runs', { ...RA, pid: '19' }, false],
    ['ten minutes later it runs once more', { ...RA, nd1_acquired: '6600', nd1_now: '6600' }, false],
    ['an empty RA set runs', { reason: 'ROUTERADVERT', interface: 'eth0v0', pid: '18', if_up: 'true' }, false],
  ])('%s', (_, env, skip) => {
    expect(gate(shell, env, sig).skip).toBe(skip);
  });

  it('runs without a stored signature, or with a garbled one', () => {
    expect(gate(shell, RA, null).skip).toBe(false);
    expect(gate(shell, RA, `${sig}x`).skip).toBe(false);
  });

  it('never evaluates a value (arithmetic, command substitution)', () => {
    const dir = tempDir('srcroute-gate-pwn');
    const pwned = join(dir, 'pwned');
    for (const value of [`a[$(touch ${pwned})]`, `$(touch ${pwned})`, `\`touch ${pwned}\``]) {
      gate(shell, { ...RA, nd1_now: value, nd1_acquired: value, nd1_from: value, nd1_lifetime: value, nd1_addr1: value, nd1_prefix_information1_vltime: value }, sig);
    }
    expect(existsSync(pwned)).toBe(false);
  });
});

describe('the signature on the Node side', () => {
  const configDir = emptyConfigDir();
  const env = { ...RA, SRCROUTE_RA_SIG: 'pid=18 up=true t=10 r=fe80::1/1' };

  it('is stored after a successful ROUTERADVERT run, for that interface', async () => {
    const o = await runMain(env, { configDir });
    expect(o.code, o.err.join('\n')).toBe(0);
    expect(o.signatures).toEqual([['eth0v0', 'pid=18 up=true t=10 r=fe80::1/1']]);
  });

  it('is dropped when the RA leaves no router (everything of IPv6 went)', async () => {
    const o = await runMain({ ...env, nd1_lifetime: '0' }, { configDir });
    expect(o.signatures).toEqual([['eth0v0', null]]);
  });

  it('is dropped when the run failed, so the next RA runs again', async () => {
    const o = await runMain(env, { configDir, answers: [[], [], 'garbage', []] });
    expect(o.code).toBe(1);
    expect(o.signatures).toEqual([['eth0v0', null]]);
  });

  it('is dropped when the link goes (NOCARRIER, STOPPED, DEPARTED), and left alone by other events', async () => {
    expect((await runMain({ reason: 'STOPPED', interface: 'eth0v0' }, { configDir })).signatures).toEqual([['eth0v0', null]]);
    expect((await runMain({ reason: 'BOUND6', interface: 'eth0v0', new_dhcp6_ia_na1_ia_addr1: '2001:db8:1::7', SRCROUTE_RA_SIG: 'x' }, { configDir })).signatures).toEqual([]);
  });

  it('is not touched by a dry run', async () => {
    expect((await runMain(env, { configDir, argv: ['--dry-run'] })).signatures).toEqual([]);
  });

  it('is stored with IPV6=no too, so that RAs srcroute ignores stop starting Node', async () => {
    const dir = tempDir('srcroute-nov6');
    writeFileSync(join(dir, 'srcroute.env'), 'IPV6=no\n', { mode: 0o644 });
    const o = await runMain(env, { configDir: dir });
    expect(o.ipMade).toBe(0);
    expect(o.signatures).toEqual([['eth0v0', 'pid=18 up=true t=10 r=fe80::1/1']]);
  });
});

describe('the signature files', () => {
  it('are one line per interface, removed on null or on anything the dispatcher cannot have built, all removed by clear', () => {
    const dir = join(tempDir('srcroute-sigs'), 'state');
    const files = raSignatureFiles(dir);
    files.set('eth0v0', 'pid=18 up=true t=10 r=fe80::1/1');
    files.set('eth0v1', 'pid=18 up=true t=10 r=fe80::2/1');
    expect(readFileSync(join(dir, 'eth0v0.ra'), 'utf8')).toBe('pid=18 up=true t=10 r=fe80::1/1\n');
    files.set('eth0v1', 'r=$(reboot)');
    expect(readdirSync(dir)).toEqual(['eth0v0.ra']);
    files.set('eth0v0', null);
    expect(readdirSync(dir)).toEqual([]);
    files.set('eth0v0', 'a');
    files.set('eth0v1', 'b');
    files.clear();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never throw, even without a usable state dir', () => {
    const files = raSignatureFiles('/proc/srcroute-nowhere');
    expect(() => files.set('eth0v0', 'a')).not.toThrow();
    expect(() => files.clear()).not.toThrow();
  });
});
