// The hostile-input corpus: environments and config files an attacker on the wire, a
// broken DHCP client or a careless admin could hand srcroute. Every case goes through main()
// with a fake ip runner and lock: it must exit 2, say why in ONE stderr line that names the
// offending variable (or file), stay short, show no stack trace, and run nothing at all.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/hook/env.js';
import { removeEmptyConfigDir, runMain, stderrText, type Outcome } from '../support/fake-deps.js';

const BOUND = {
  reason: 'BOUND',
  interface: 'eth0v0',
  new_ip_address: '100.64.0.50',
  new_subnet_cidr: '24',
  new_routers: '100.64.0.1',
} as const;
const RENEW = {
  ...BOUND,
  reason: 'RENEW',
  old_ip_address: '100.64.0.50',
  old_subnet_cidr: '24',
  old_routers: '100.64.0.1',
} as const;

/** Every variable srcroute reads from the DHCP client's environment. */
const LEASE_KEYS = ['ip_address', 'subnet_cidr', 'subnet_mask', 'routers', 'router', 'classless_static_routes', 'rfc3442_classless_static_routes'];
const VARIABLES = ['reason', 'interface', ...LEASE_KEYS.flatMap((k) => [`new_${k}`, `old_${k}`])];

const BIG = 100 * 1024;
/** Command substitutions and shell metacharacters, alone and glued to a value. */
const SHELL = [
  '$(touch /tmp/srcroute-pwned)',
  '`touch /tmp/srcroute-pwned`',
  '${IFS}reboot',
  '; reboot',
  '| sh',
  '&& reboot',
  '> /etc/passwd',
  "'\"",
  '\nrule flush',
  '*',
];

interface Case {
  what: string;
  env: Env;
  /** A word the single stderr line must contain: the variable (or file) at fault. */
  names: string;
}

const cases: Case[] = [];
const add = (what: string, env: Env, names: string): void => void cases.push({ what, env, names });

// Shell payloads in every variable, alone and appended to a value that would otherwise pass.
const goodValue: Record<string, string> = {
  reason: 'BOUND',
  interface: 'eth0v0',
  ip_address: '100.64.0.50',
  subnet_cidr: '24',
  subnet_mask: '255.255.255.0',
  routers: '100.64.0.1',
  router: '100.64.0.1',
  classless_static_routes: '0.0.0.0/0 100.64.0.1',
  rfc3442_classless_static_routes: '0 100 64 0 1',
};
for (const variable of VARIABLES) {
  const good = goodValue[variable.replace(/^(new|old)_/, '')]!;
  for (const payload of SHELL) {
    add(`${variable} = ${JSON.stringify(payload)}`, { ...RENEW, [variable]: payload }, variable);
  }
  add(`${variable} = a value then $(reboot)`, { ...RENEW, [variable]: `${good}$(reboot)` }, variable);
  add(`${variable} = a value; then a command`, { ...RENEW, [variable]: `${good};reboot` }, variable);
  add(`${variable} = a value, a newline and an ip batch line`, { ...RENEW, [variable]: `${good}\nrule flush` }, variable);
  add(`${variable} = --help`, { ...RENEW, [variable]: '--help' }, variable);
  add(`${variable} = 100 kB`, { ...RENEW, [variable]: 'A'.repeat(BIG) }, variable);
  add(`${variable} = a value padded to 100 kB with spaces`, { ...RENEW, [variable]: `${good}${' '.repeat(BIG)}` }, variable);
  add(`${variable} = control bytes`, { ...RENEW, [variable]: '\u0001\u0002\u001b[31m\r\u0007'.repeat(40) }, variable);
  add(`${variable} = only escapes`, { ...RENEW, [variable]: '\u0001'.repeat(200) }, variable);
  add(`${variable} = bidi and line separators`, { ...RENEW, [variable]: `${good}\u202e\u2028\u2029\u0085`.repeat(20) }, variable);
}

// Addresses that are almost IPv4, in every address variable.
const ALMOST_IPV4 = [
  '999.64.0.50', '100.64.0', '100.64.0.050', '100.64.0.50.', '.100.64.0.50', '100.64..50', '256.64.0.50',
  '1.2.3.4.5', '100.64.0.-1', '0x64.64.0.50', '1681915954', '100.64.0.50/24', '100,64,0,50', '+100.64.0.50',
  '100.64.0.5e1', '１００.64.0.50', '::1', '2001:db8::50', '::ffff:100.64.0.50', ' 100.64.0.50', '100.64.0.50 ',
  '100.64.0.50\n', '\t100.64.0.50', '', ' ', '1.'.repeat(BIG / 2),
];
for (const variable of ['new_ip_address', 'new_routers', 'new_router', 'old_ip_address', 'old_routers', 'new_subnet_mask']) {
  for (const value of ALMOST_IPV4) add(`${variable} = ${JSON.stringify(value.slice(0, 30))}`, { ...RENEW, [variable]: value }, variable);
}

// Addresses that are IPv4 but no host's.
for (const value of ['0.0.0.0', '0.1.2.3', '127.0.0.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255']) {
  add(`new_ip_address = ${value}`, { ...BOUND, new_ip_address: value }, 'new_ip_address');
}

// Routers that cannot be a gateway.
const BAD_ROUTERS = [
  'router', 'gateway', '', '0.0.0.0', '255.255.255.255', '100.64.0.255', '100.64.0.0', '224.0.0.1', '239.255.255.250',
  '127.0.0.1', '100.64.0.50', '100.64.0.1 evil', '100.64.0.1,100.64.0.2', '100.64.0.1  100.64.0.2', '100.64.0.1 ',
];
for (const value of BAD_ROUTERS) add(`new_routers = ${JSON.stringify(value)}`, { ...BOUND, new_routers: value }, 'new_routers');

// Classless routes (option 121), both encodings, with bad syntax or a gateway no host can be.
const BAD_DHCPCD_CLASSLESS = [
  '0.0.0.0/0', '0.0.0.0/33 100.64.0.1', '10.0.0.1/8 100.64.0.1', '0.0.0.0/0 100.64.0.1 ', '0.0.0.0/0  100.64.0.1',
  '0.0.0.0 100.64.0.1', `0.0.0.0/0 ${'A'.repeat(BIG)}`, `${'9'.repeat(BIG)} 100.64.0.1`, '0.0.0.0/0 224.0.0.1',
  '0.0.0.0/0 255.255.255.255', '0.0.0.0/0 100.64.0.255', '0.0.0.0/0 100.64.0.50',
];
for (const value of BAD_DHCPCD_CLASSLESS) {
  add(`new_classless_static_routes = ${JSON.stringify(value.slice(0, 30))}`, { ...BOUND, new_classless_static_routes: value }, 'new_classless_static_routes');
}
const BAD_DHCLIENT_CLASSLESS = ['0 100 64 0', '33 0 0 0 0 100 64 0 1', '0 256 64 0 1', '0 100 64 0 1 ', '0  100 64 0 1', '0 224 0 0 1', '0 100 64 0 255'];
for (const value of BAD_DHCLIENT_CLASSLESS) {
  add(`new_rfc3442_classless_static_routes = ${JSON.stringify(value)}`, { ...BOUND, new_rfc3442_classless_static_routes: value }, 'new_rfc3442_classless_static_routes');
}

// Prefix lengths and netmasks.
for (const value of ['33', '-1', '0', '024', '1e1', '24 ', '', 'x', '32;id']) {
  add(`new_subnet_cidr = ${JSON.stringify(value)}`, { ...BOUND, new_subnet_cidr: value }, 'new_subnet_cidr');
}
for (const value of ['255.255.0.255', '0.0.0.0', '255.255.255', '/24', '24', '255.0.255.0']) {
  add(`new_subnet_mask = ${JSON.stringify(value)} (no CIDR)`, { ...BOUND, new_subnet_cidr: undefined, new_subnet_mask: value }, 'new_subnet_mask');
}

// Interface names.
const BAD_INTERFACES = [
  '', 'a'.repeat(16), 'eth0/../../etc', 'eth0/x', 'eth 0', '-eth0', '--help', '-', '.eth0', '..', 'eth0;reboot', 'eth0\n',
  '$(reboot)', 'éth0', 'eth0\u0000', 'x'.repeat(BIG), 'eth0:1', 'eth0@eth1',
];
for (const value of BAD_INTERFACES) {
  add(`interface = ${JSON.stringify(value.slice(0, 30))} (up)`, { ...BOUND, interface: value }, 'interface');
  add(`interface = ${JSON.stringify(value.slice(0, 30))} (down)`, { reason: 'EXPIRE', interface: value }, 'interface');
}

// Reasons that are no reason.
for (const value of ['', 'bound', 'BOUND;reboot', 'BOUND ', ' BOUND', 'BOUND\n', '$(reboot)', '--help', 'A'.repeat(33), 'B'.repeat(BIG), 'BOUND\u0000', 'BOUND\u2028']) {
  add(`reason = ${JSON.stringify(value.slice(0, 30))}`, { ...BOUND, reason: value }, 'reason');
}

// IPv6: dhcpcd's RA set and IA_NA set, dhclient -6's one address per call.
const RA = {
  reason: 'ROUTERADVERT', interface: 'eth0v0', pid: '18', if_up: 'true', nd1_acquired: '5977', nd1_now: '5978',
  nd1_from: 'fe80::1', nd1_lifetime: '90', nd1_flags: 'MO', nd1_source_address: 'd60a4b5967d9',
  nd1_addr1: '2001:db8:1:0:499e:9dae:97b:e17a/64', nd1_prefix_information1_prefix: '2001:db8:1::',
  nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '120',
  nd1_prefix_information1_pltime: '120',
} as const;
const BOUND6 = {
  reason: 'BOUND6', interface: 'eth0v0', new_dhcp6_ia_na1_ia_addr1: '2001:db8:1::1e7', new_dhcp6_ia_na1_ia_addr1_vltime: '120',
  new_dhcp6_ia_na1_iaid: '00aabb01', new_dhcp6_server_id: '0001000132983c0cd60a4b5967d9', new_dhcp6_status_code_message: 'success',
  old_dhcp6_ia_na1_ia_addr1: '2001:db8:1::1e7',
} as const;
const DHCLIENT6 = { reason: 'RENEW6', interface: 'eth0v0', new_ip6_address: '2001:db8:1::1e7', new_ip6_prefixlen: '128', old_ip6_address: '2001:db8:1::1e7', old_ip6_prefixlen: '128' } as const;
const V6_BASES: [Env, string[]][] = [
  [RA, Object.keys(RA).filter((k) => k.startsWith('nd1_'))],
  [BOUND6, Object.keys(BOUND6).filter((k) => k.includes('dhcp6'))],
  [DHCLIENT6, Object.keys(DHCLIENT6).filter((k) => k.includes('ip6'))],
  [{ reason: 'RELEASE6', interface: 'eth0v0', old_ip6_address: '2001:db8:1::1e7' }, ['old_ip6_address']],
];
// Shell text in every nd*/dhcp6/ip6 variable, those srcroute does not use as well.
for (const [base, variables] of V6_BASES) {
  for (const variable of [...variables, 'nd1_rdnss1_servers', 'new_dhcp6_domain_search', 'old_dhcp6_name_servers']) {
    const good = (base as Record<string, string>)[variable] ?? 'x';
    for (const payload of SHELL) add(`${base.reason} ${variable} = ${JSON.stringify(payload)}`, { ...base, [variable]: payload }, variable);
    add(`${base.reason} ${variable} = a value then $(reboot)`, { ...base, [variable]: `${good}$(reboot)` }, variable);
    add(`${base.reason} ${variable} = a value, a newline and an ip batch line`, { ...base, [variable]: `${good}\nrule flush` }, variable);
    add(`${base.reason} ${variable} = 100 kB`, { ...base, [variable]: '2'.repeat(BIG) }, variable);
  }
}
// Addresses no host can route by source: link-local, multicast, ::, loopback, IPv4 in IPv6, zoned, near misses.
const BAD_V6 = [
  'fe80::1', 'FE80::1', 'febf::1', 'ff02::1', 'ff0e::1', '::', '::1', '::ffff:6440:32', '::ffff:100.64.0.50', '::100.64.0.50',
  '::6440:32', 'fe80::1%eth0v0', '2001:db8::1%1', '2001:db8:::1', '2001:db8::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
  '2001:db8::g', '2001:db8::12345', ' 2001:db8::1', '2001:db8::1 ', '', '100.64.0.50', '2001:db8::1 2001:db8::2', ':2001:db8::1',
];
const ADDRESS_VARIABLES: [Env, string][] = [
  [BOUND6, 'new_dhcp6_ia_na1_ia_addr1'], [BOUND6, 'old_dhcp6_ia_na1_ia_addr1'], [{ ...BOUND6, new_dhcp6_ia_na2_ia_addr3: '2001:db8:1::2' }, 'new_dhcp6_ia_na2_ia_addr3'],
  [DHCLIENT6, 'new_ip6_address'], [DHCLIENT6, 'old_ip6_address'], [RA, 'nd1_addr1'], [RA, 'nd1_prefix_information1_prefix'],
];
for (const [base, variable] of ADDRESS_VARIABLES) {
  for (const value of BAD_V6) add(`${base.reason} ${variable} = ${JSON.stringify(value)}`, { ...base, [variable]: value }, variable);
}
// A prefix length on an address that has none (IA_NA, dhclient's), and bad ones where one is allowed.
for (const value of ['2001:db8:1::1e7/128', '2001:db8:1::1e7/64', '2001:db8:1::1e7/']) {
  for (const variable of ['new_dhcp6_ia_na1_ia_addr1', 'old_dhcp6_ia_na1_ia_addr1']) add(`${variable} = ${value}`, { ...BOUND6, [variable]: value }, variable);
  add(`new_ip6_address = ${value}`, { ...DHCLIENT6, new_ip6_address: value }, 'new_ip6_address');
}
for (const value of ['2001:db8:1::5/0', '2001:db8:1::5/129', '2001:db8:1::5/064', '2001:db8:1::5/-1', '2001:db8:1::5/6/4']) add(`nd1_addr1 = ${value}`, { ...RA, nd1_addr1: value }, 'nd1_addr1');
// Routers: link-local is what an RA comes from; garbage, multicast, zoned, :: are not.
for (const value of ['fe80::1%eth0v0', 'ff02::2', '::', '::ffff:100.64.0.1', 'router', '2001:db8::1/64', 'fe80::1 fe80::2']) {
  add(`nd1_from = ${JSON.stringify(value)}`, { ...RA, nd1_from: value }, 'nd1_from');
}
// Numbers and flags.
for (const [variable, value] of [
  ['nd1_lifetime', '-1'], ['nd1_lifetime', '1e3'], ['nd1_lifetime', '4294967296'], ['nd1_now', '12.5'], ['nd1_acquired', 'x'],
  ['nd1_prefix_information1_length', '0'], ['nd1_prefix_information1_length', '129'], ['nd1_prefix_information1_vltime', '0x10'],
  ['nd1_prefix_information1_flags', 'la'], ['nd1_prefix_information1_flags', 'L A'],
] as const) add(`${variable} = ${JSON.stringify(value)}`, { ...RA, [variable]: value }, variable);
add('new_ip6_prefixlen = 129', { ...DHCLIENT6, new_ip6_prefixlen: '129' }, 'new_ip6_prefixlen');
add('new_dhcp6_ia_na1_ia_addr1_vltime = -1', { ...BOUND6, new_dhcp6_ia_na1_ia_addr1_vltime: '-1' }, 'new_dhcp6_ia_na1_ia_addr1_vltime');
add('BOUND6 without an interface', { ...BOUND6, interface: undefined }, 'interface');
add('ROUTERADVERT with a hostile interface', { ...RA, interface: 'eth0;reboot' }, 'interface');

// Events that lack what they need.
add('no reason at all', { interface: 'eth0v0' }, 'reason');
add('an empty environment', {}, 'reason');
add('BOUND without an interface', { ...BOUND, interface: undefined }, 'interface');
add('EXPIRE without an interface', { reason: 'EXPIRE' }, 'interface');
add('BOUND without an address', { ...BOUND, new_ip_address: undefined }, 'new_ip_address');
add('BOUND without CIDR or netmask', { ...BOUND, new_subnet_cidr: undefined }, 'new_subnet_cidr');
add('BOUND without a router', { ...BOUND, new_routers: undefined }, 'new_routers');
add('a bad old_* on an EXPIRE', { reason: 'EXPIRE', interface: 'eth0v0', old_ip_address: '1.2.3.4;reboot' }, 'old_ip_address');

function expectRefused(o: Outcome, names: string): void {
  const text = stderrText(o);
  expect(o.code, text).toBe(2);
  expect(o.err, 'exactly one stderr line').toHaveLength(1);
  expect(text.split('\n').filter(Boolean), 'no embedded newline').toHaveLength(1);
  expect(text).toContain(names);
  expect(Buffer.byteLength(text), text).toBeLessThan(300);
  expect(text).not.toMatch(/\n\s+at |Error:|    at /);
  expect(o.out).toEqual([]);
  expect(o.ipMade + o.ipRan, 'ip must not be run').toBe(0);
  expect(o.locked, 'no lock taken').toBe(0);
}

let tried = 0;
afterAll(() => {
  removeEmptyConfigDir();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  console.log(
    `hostile-input corpus: ${tried} runs (${cases.length} hostile environments, ${configCases.length}+ hostile configs, the rest ignored reasons)`,
  );
});

describe('hostile environments: exit 2, one short line naming the variable, nothing run', () => {
  it('the corpus is big enough to mean something', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it.each(cases.map((c) => [c.what, c] as const))('%s', async (_, c) => {
    tried++;
    expectRefused(await runMain(c.env), c.names);
  });
});

describe('ignored reasons: exit 0 and nothing run, whatever else the environment holds', () => {
  const IGNORED = [
    'PREINIT', 'CARRIER', 'NOCARRIER_ROAMING', 'IPV4LL', 'TEST', 'RECONFIGURE', '3RDPARTY', 'MEDIUM', 'NBI',
    'INFORM6', 'DELEGATED6', 'PREINIT6', 'DEPREF6', 'SOMETHING_NEW',
  ];
  const hostile = { interface: '$(reboot)', new_ip_address: '1.2.3.4;reboot', new_routers: '`id`' };
  it.each(IGNORED.flatMap((reason) => [[reason, 'a lease', { ...BOUND, reason }], [reason, 'hostile values', { reason, ...hostile }]] as const))(
    '%s with %s',
    async (_, __, env) => {
      tried++;
      const o = await runMain(env);
      expect(o.code, stderrText(o)).toBe(0);
      expect(o.err).toEqual([]);
      expect(o.ipMade + o.ipRan + o.locked).toBe(0);
    },
  );

  it('TIMEOUT without a new address is ignored too', async () => {
    tried++;
    const o = await runMain({ reason: 'TIMEOUT', interface: 'eth0v0' });
    expect([o.code, o.err, o.ipRan]).toEqual([0, [], 0]);
  });
});

// ---- config files ---------------------------------------------------------------------------

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
function configDir(files: Record<string, string>, mode = 0o644): string {
  const dir = mkdtempSync(join(tmpdir(), 'srcroute-hostile-cfg-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

interface ConfigCase {
  what: string;
  files: Record<string, string>;
  mode?: number;
  names: string;
}
const configCases: ConfigCase[] = [];
const cfg = (what: string, files: Record<string, string>, names: string, mode?: number): void =>
  void configCases.push({ what, files, names, ...(mode === undefined ? {} : { mode }) });

for (const file of ['srcroute.env', 'eth0v0.env']) {
  for (const value of ['main', 'local', 'default', 'unspec', '0', '253', '254', '255', 'nosuch', '4294967296', '-1', '0x7b', '123;reboot', '$(reboot)', '`id`', 'pub reboot', '"" ; reboot']) {
    cfg(`TABLE=${value} in ${file}`, { [file]: `TABLE=${value}\n` }, 'TABLE');
  }
  for (const value of ['0', '32766', '32767', '65536', '1e3', '-5', '0x10', '1000.5', '123;cmd', '$(cmd)', '`cmd`', 'one', "'1000'x"]) {
    cfg(`PRIORITY=${value} in ${file}`, { [file]: `PRIORITY=${value}\n` }, 'PRIORITY');
  }
  for (const value of ['0', '11', '60', '1.5', '5s', '$(sleep 100)']) cfg(`TIMEOUT=${value} in ${file}`, { [file]: `TIMEOUT=${value}\n` }, 'TIMEOUT');
  for (const value of ['ip', 'sbin/ip', '/sbin/$(reboot)', '/sbin/ip;reboot', '/sbin/ip -batch', '/usr/../tmp/ip', '~/ip']) {
    cfg(`IP=${value} in ${file}`, { [file]: `IP="${value}"\n` }, 'IP');
  }
  for (const key of ['TABEL', 'PATH', 'LD_PRELOAD', 'NODE_OPTIONS', 'table']) cfg(`unknown key ${key} in ${file}`, { [file]: `${key}=1\n` }, key);
}
for (const value of ['0', '2', '4', '256', '213;reboot', 'srcroute']) cfg(`PROTOCOL=${value}`, { 'srcroute.env': `PROTOCOL=${value}\n` }, 'PROTOCOL');
cfg('PROTOCOL in an interface file', { 'eth0v0.env': 'PROTOCOL=213\n' }, 'PROTOCOL');
cfg('a group-writable srcroute.env (0664)', { 'srcroute.env': 'TABLE=123\n' }, 'srcroute.env', 0o664);
cfg('a world-writable srcroute.env (0646)', { 'srcroute.env': 'TABLE=123\n' }, 'srcroute.env', 0o646);
cfg('a group-writable eth0v0.env (0664)', { 'eth0v0.env': 'TABLE=123\n' }, 'eth0v0.env', 0o664);
cfg('a world-writable eth0v0.env (0666)', { 'eth0v0.env': 'TABLE=123\n' }, 'eth0v0.env', 0o666);

describe('hostile config files: exit 2, one line naming the key or file, nothing run', () => {
  it.each(configCases.map((c) => [c.what, c] as const))('%s', async (_, c) => {
    tried++;
    const dir = configDir(c.files, c.mode);
    expectRefused(await runMain(BOUND, { configDir: dir }), c.names);
  });

  it('a config file owned by another user', async () => {
    for (const file of ['srcroute.env', 'eth0v0.env']) {
      tried++;
      const dir = configDir({ [file]: 'TABLE=123\n' });
      // As root, give the file away; otherwise pretend to be somebody else than its owner.
      if (isRoot) chownSync(join(dir, file), 65534, 65534);
      const owner = isRoot ? 65534 : process.getuid!();
      const o = await runMain(BOUND, { configDir: dir, uid: isRoot ? 0 : owner + 1 });
      expectRefused(o, file);
      expect(stderrText(o)).toContain(String(owner));
    }
  });

  it('a directory named srcroute.env (unreadable config)', async () => {
    tried++;
    const dir = configDir({});
    mkdirSync(join(dir, 'srcroute.env'));
    expectRefused(await runMain(BOUND, { configDir: dir }), 'srcroute.env');
  });

  it('a srcroute.env that is a symlink to nowhere (not silently the defaults)', async () => {
    tried++;
    const dir = configDir({});
    symlinkSync(join(dir, 'gone.env'), join(dir, 'srcroute.env'));
    expectRefused(await runMain(BOUND, { configDir: dir }), 'srcroute.env');
  });

  it('a config dir that is a file (ENOTDIR)', async () => {
    tried++;
    const dir = configDir({ notadir: '' });
    expectRefused(await runMain(BOUND, { configDir: join(dir, 'notadir') }), 'srcroute.env');
  });

  it('an interface named "srcroute" does not take the global file for its own (PROTOCOL is allowed there)', async () => {
    const dir = configDir({ 'srcroute.env': 'PROTOCOL=213\nTABLE=123\n' });
    const o = await runMain({ ...BOUND, interface: 'srcroute' }, { configDir: dir });
    expect(o.code, stderrText(o)).toBe(0);
    expect(o.ipRan).toBe(1);
  });

  it('a good config with a good lease does run ip (the fakes are not rigged to refuse)', async () => {
    const dir = configDir({ 'srcroute.env': 'TABLE=pub\nPRIORITY=1000\n', 'eth0v0.env': 'TABLE=isp2\n' });
    const o = await runMain(BOUND, { configDir: dir });
    expect(o.code, stderrText(o)).toBe(0);
    expect([o.ipRan, o.locked]).toEqual([1, 1]);
    expect(o.changes.map((c) => c.argv.join(' '))).toEqual([
      'route add 100.64.0.0/24 dev eth0v0 scope link proto 213 table 124',
      'route add default via 100.64.0.1 dev eth0v0 proto 213 table 124',
      'rule add from 100.64.0.50 to 100.64.0.0/24 lookup 124 priority 998 protocol 213',
      'rule add from 100.64.0.50 lookup 254 suppress_prefixlength 0 priority 999 protocol 213',
      'rule add from 100.64.0.50 lookup 124 priority 1000 protocol 213',
    ]);
  });
});
