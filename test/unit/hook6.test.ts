// The hook's IPv6 paths through main() with fakes: which family each event reads and writes, what
// IPV6=no, a dry run and a kernel without IPv6 do. Whole sessions replay in plan.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/shared/errors.js';
import { removeEmptyConfigDir, runMain, stderrText } from '../support/fake-deps.js';
import { tempDir } from '../support/tmp.js';

const RA = { reason: 'ROUTERADVERT', interface: 'eth0v0', nd1_from: 'fe80::1', nd1_lifetime: '1800', nd1_addr1: '2001:db8:1::5/64', nd1_prefix_information1_prefix: '2001:db8:1::', nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '3600' };
const BOUND = { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' };
/** What ip says on a kernel booted with ipv6.disable=1. */
const noIPv6 = (family: number): Error | undefined =>
  family === 6 ? new SystemError("ip could not read the kernel's state: RTNETLINK answers: Address family not supported by protocol") : undefined;
const configWith = (text: string): string => {
  const dir = tempDir('srcroute-hook6');
  writeFileSync(join(dir, 'srcroute.env'), text, { mode: 0o644 });
  return dir;
};

afterAll(() => removeEmptyConfigDir());

describe('which family each event touches', () => {
  it.each<[string, Record<string, string>, number[]]>([
    ['an IPv4 lease: ip -4 only', BOUND, [4]],
    ['an IPv4 lease ending: ip -4 only', { reason: 'EXPIRE', interface: 'eth0v0' }, [4]],
    ['an RA: ip -6 only', RA, [6]],
    ['a DHCPv6 lease: ip -6 only', { reason: 'BOUND6', interface: 'eth0v0', new_dhcp6_ia_na1_ia_addr1: '2001:db8:1::7' }, [6]],
    ['the link going (NOCARRIER): ip -4, then ip -6', { reason: 'NOCARRIER', interface: 'eth0v0' }, [4, 6]],
  ])('%s', async (_, env, families) => {
    const o = await runMain(env);
    expect(o.code, stderrText(o)).toBe(0);
    expect(o.families).toEqual(families);
  });
});

describe('IPv6 paths', () => {
  it("plans each address's rules, the router and the prefix, and prints ip -6 in a dry run", async () => {
    const o = await runMain(RA, { argv: ['--dry-run'] });
    expect(o.code, stderrText(o)).toBe(0);
    expect(o.out).toEqual([
      'ip -6 route add 2001:db8:1::/64 dev eth0v0 proto 213 table 123',
      'ip -6 route add default via fe80::1 dev eth0v0 proto 213 table 123',
      'ip -6 rule add from 2001:db8:1::5 to 2001:db8:1::/64 lookup 123 priority 998 protocol 213',
      'ip -6 rule add from 2001:db8:1::5 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'ip -6 rule add from 2001:db8:1::5 lookup 123 priority 1000 protocol 213',
    ]);
    expect(o.locked, 'a dry run takes no lock').toBe(0);
  });

  it('IPV6=no: an IPv6 event runs nothing, a link-down event clears IPv4 only', async () => {
    const configDir = configWith('IPV6=no\n');
    expect((await runMain(RA, { configDir })).ipMade).toBe(0);
    expect((await runMain({ reason: 'STOPPED', interface: 'eth0v0' }, { configDir })).families).toEqual([4]);
  });

  it('a bad IPV6 value is a config error (exit 2, nothing run)', async () => {
    const o = await runMain(RA, { configDir: configWith('IPV6=maybe\n') });
    expect(o.code).toBe(2);
    expect(stderrText(o)).toMatch(/invalid IPV6 "maybe" in .*srcroute.env: not yes or no/);
    expect(o.ipMade).toBe(0);
  });

  it('a kernel without IPv6: a link-down event still exits 0 (nothing of IPv6 to clear), flush too', async () => {
    const stopped = await runMain({ reason: 'STOPPED', interface: 'eth0v0' }, { ipError: noIPv6 });
    expect(stopped.code, stderrText(stopped)).toBe(0);
    const flush = await runMain({}, { argv: ['flush'], ipError: noIPv6 });
    expect(flush.code, stderrText(flush)).toBe(0);
    expect(flush.families).toEqual([4, 6]);
  });

  it('any other IPv6 failure is reported (exit 1)', async () => {
    const o = await runMain({ reason: 'STOPPED', interface: 'eth0v0' }, { ipError: (f) => (f === 6 ? new SystemError('ip -6 hung') : undefined) });
    expect(o.code).toBe(1);
    expect(stderrText(o)).toContain('ip -6 hung');
  });

  it('flush forgets every RA signature, so that an unchanged RA puts the IPv6 rules back', async () => {
    expect((await runMain({}, { argv: ['flush'] })).signatures).toEqual([['*', null]]);
    expect((await runMain({}, { argv: ['flush', '--dry-run'] })).signatures).toEqual([]);
  });
});
