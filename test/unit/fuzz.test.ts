// Property-based fuzzing of the whole hook environment (hostile input changes nothing), through main() with a fake ip
// runner and lock. Fixed seeds, so a failure replays; the run counts are printed for the report.
//  - hostile environments: main() never throws; exit 0, 1 or 2; never the "bug" line; errors are
//    exactly one short line with no stack trace; exit 2 means ip was never even made.
//  - valid leases: every token of every planned ip command is on a strict allow-list (numbers,
//    dotted quads, prefixes, the interface name, keywords), so nothing from the wire can smuggle
//    a word into root's `ip -batch`.
//  - whatever ip answers (arbitrary JSON): no crash, no stack trace.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/hook/env.js';
import { emptyConfigDir, removeEmptyConfigDir, runMain, stderrText, type Outcome } from '../support/fake-deps.js';

const SEED = 0x5c7c0ae;
const LEASE_KEYS = ['ip_address', 'subnet_cidr', 'subnet_mask', 'routers', 'router', 'classless_static_routes', 'rfc3442_classless_static_routes'];
const UP = ['BOUND', 'RENEW', 'REBIND', 'REBOOT', 'INFORM', 'STATIC', 'TIMEOUT'];
const DOWN = ['EXPIRE', 'EXPIRED', 'NAK', 'FAIL', 'RELEASE', 'STOP', 'STOPPED', 'DEPARTED', 'NOCARRIER'];
const UP6 = ['ROUTERADVERT', 'BOUND6', 'RENEW6', 'REBIND6', 'REBOOT6'];
const DOWN6 = ['EXPIRE6', 'RELEASE6', 'STOP6'];
const OTHER = ['PREINIT', 'CARRIER', 'TEST', '3RDPARTY', 'INFORM6', 'MEDIUM', 'bound', ''];
/** The IPv6 variables srcroute reads (dhcpcd's RA and IA_NA sets, dhclient -6's address). */
const V6_KEYS = [
  'nd1_from', 'nd1_lifetime', 'nd1_acquired', 'nd1_now', 'nd1_addr1', 'nd1_prefix_information1_prefix', 'nd1_prefix_information1_length',
  'nd1_prefix_information1_flags', 'nd1_prefix_information1_vltime', 'nd2_from', 'nd2_lifetime', 'nd1_rdnss1_servers',
  'new_dhcp6_ia_na1_ia_addr1', 'new_dhcp6_ia_na1_ia_addr1_vltime', 'old_dhcp6_ia_na1_ia_addr1', 'new_dhcp6_status_code_message',
  'new_ip6_address', 'new_ip6_prefixlen', 'old_ip6_address',
];
const configDir = emptyConfigDir();

let tried = 0;
const byCode: Record<number, number> = { 0: 0, 1: 0, 2: 0 };
afterAll(() => removeEmptyConfigDir());
afterAll(() => console.log(`fuzz: ${tried} environments tried (exit 0: ${byCode[0]}, exit 1: ${byCode[1]}, exit 2: ${byCode[2]})`));

// ---- generators ---------------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
const quad = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const shellish = fc.constantFrom('$(reboot)', '`id`', ';', '|', '&&', '>', '<', '\n', '\r', '\t', ' ', '\0', "'", '"', '\\', '*', '${IFS}', '--help', '-', '/', '..', '\u202e', '\u2028');
/** Near misses of a dotted quad: odd octets, separators, counts. */
const almostQuad = fc
  .tuple(
    fc.array(fc.oneof(octet.map(String), fc.integer({ min: -5, max: 99999 }).map(String), fc.constantFrom('', '0x1f', '01', '1e2', ' 1')), { minLength: 1, maxLength: 6 }),
    fc.constantFrom('.', '.', '.', ',', '..', ' ', ':'),
    fc.constantFrom('', '.', '/24', ' ', '\n'),
  )
  .map(([parts, sep, tail]) => parts.join(sep) + tail);
const junk = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.oneof(shellish, fc.constantFrom('1', '0', '.', '/', 'a', 'A')), maxLength: 20 }) },
  { weight: 3, arbitrary: almostQuad },
  { weight: 2, arbitrary: fc.ipV4Extended() },
  { weight: 2, arbitrary: fc.ipV6() },
  { weight: 2, arbitrary: fc.tuple(quad, shellish, fc.string({ maxLength: 10 })).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('A'.repeat(100 * 1024), '1.'.repeat(50 * 1024), ' '.repeat(100 * 1024)) },
  // Long words among valid ones, and runs of bytes that grow when escaped for a message.
  { weight: 2, arbitrary: fc.tuple(fc.array(fc.oneof(quad, fc.constant('0.0.0.0/0')), { maxLength: 3 }), fc.integer({ min: 1, max: 100 * 1024 }))
      .map(([words, n]) => [...words, 'x'.repeat(n)].join(' ')) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('\u0001', '\u001b', '\n', '\u2028', '\u202e', 'é', '\ud800'), minLength: 20, maxLength: 300 }) },
  { weight: 2, arbitrary: quad },
  { weight: 2, arbitrary: fc.integer({ min: -1, max: 40 }).map(String) },
);
const reason = fc.oneof(fc.constantFrom(...UP, ...DOWN, ...UP6, ...DOWN6, ...OTHER), junk);
const iface = fc.oneof(fc.constantFrom('eth0v0', 'eth0v1', 'wlan0', 'a', 'x'.repeat(15)), junk);

/** An arbitrary environment: every variable srcroute reads, each maybe absent, plus extra ones. */
const hostileEnv: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.record(
      {
        reason,
        interface: iface,
        ...Object.fromEntries(LEASE_KEYS.flatMap((k) => [[`new_${k}`, junk], [`old_${k}`, junk]])),
        ...Object.fromEntries(V6_KEYS.map((k) => [k, junk])),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
  )
  .map(([own, extra]) => ({ ...extra, ...own }) as Record<string, string>);

/** A lease that is (mostly) valid: unicast address, sane prefix, a gateway inside or outside. */
const unicast = fc
  .tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet)
  .filter(([a]) => a !== 127)
  .map((o) => o.join('.'));
const validName = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/);
const validLease: fc.Arbitrary<Record<string, string>> = fc
  .record({
    reason: fc.constantFrom(...UP, ...DOWN),
    interface: validName,
    address: unicast,
    prefix: fc.integer({ min: 1, max: 32 }),
    gateway: fc.oneof(unicast, fc.constant('same-subnet')),
    form: fc.constantFrom('cidr', 'mask', 'dhcpcd-classless', 'dhclient-classless', 'two-routers'),
  })
  .map(({ reason, interface: name, address, prefix, gateway, form }) => {
    const n = address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const quadOf = (x: number): string => [24, 16, 8, 0].map((s) => (x >>> s) & 255).join('.');
    const gw = gateway === 'same-subnet' ? quadOf(((n & mask) >>> 0) + 1) : gateway;
    const env: Record<string, string> = { reason, interface: name, new_ip_address: address };
    if (form === 'mask') env.new_subnet_mask = quadOf(mask);
    else env.new_subnet_cidr = String(prefix);
    if (form === 'dhcpcd-classless') env.new_classless_static_routes = `0.0.0.0/0 ${gw}`;
    else if (form === 'dhclient-classless') env.new_rfc3442_classless_static_routes = `0 ${gw.split('.').join(' ')}`;
    else env.new_routers = form === 'two-routers' ? `${gw} 198.51.100.1` : gw;
    return env;
  });

// ---- properties ---------------------------------------------------------------------------------

/** A valid IPv6 event: an RA set or DHCPv6 addresses, from generated global addresses. */
const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const global6 = fc.tuple(fc.integer({ min: 0x2000, max: 0x3fff }), fc.array(group, { minLength: 7, maxLength: 7 })).map(([first, rest]) => [first.toString(16), ...rest].join(':'));
const validV6: fc.Arbitrary<Record<string, string>> = fc
  .record({ reason: fc.constantFrom(...UP6, ...DOWN6), interface: validName, a: global6, b: global6, lifetime: fc.constantFrom('0', '90', '1800'), vltime: fc.constantFrom('0', '120') })
  .map(({ reason, interface: name, a, b, lifetime, vltime }) => ({
    reason, interface: name, nd1_from: 'fe80::1', nd1_lifetime: lifetime, nd1_acquired: '5', nd1_now: '5', nd1_addr1: `${a}/64`,
    nd1_prefix_information1_prefix: `${a.split(':').slice(0, 4).join(':')}::`, nd1_prefix_information1_length: '64', nd1_prefix_information1_flags: 'LA',
    nd1_prefix_information1_vltime: vltime, new_dhcp6_ia_na1_ia_addr1: b, new_dhcp6_ia_na1_ia_addr1_vltime: vltime, old_ip6_address: a,
  }));

const DOTTED = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const KEYWORDS = new Set(['rule', 'route', 'add', 'del', 'replace', 'from', 'to', 'suppress_prefixlength', 'lookup', 'priority', 'protocol', 'proto', 'table', 'default', 'via', 'dev', 'scope', 'link', 'onlink']);

function allowed(token: string, name: string | undefined): boolean {
  if (KEYWORDS.has(token) || /^[0-9]{1,10}$/.test(token) || DOTTED.test(token)) return true;
  const [addr, len, ...rest] = token.split('/');
  if (rest.length === 0 && len !== undefined && DOTTED.test(addr!) && /^(3[0-2]|[12]?[0-9])$/.test(len)) return true;
  // IPv6: hex groups and colons only (RFC 5952 form), with an optional /LEN.
  if (rest.length === 0 && /^[0-9a-f:]{2,39}$/.test(addr!) && addr!.includes(':') && (len === undefined || /^(12[0-8]|1[01][0-9]|[1-9]?[0-9])$/.test(len))) return true;
  return token === name;
}

/** What must hold for every run, whatever went in. */
function checkOutcome(env: Env, o: Outcome): void {
  tried++;
  byCode[o.code] = (byCode[o.code] ?? 0) + 1;
  const text = stderrText(o);
  expect([0, 1, 2], text).toContain(o.code);
  expect(text).not.toContain('    at ');
  expect(text).not.toMatch(/this is a bug|TypeError|RangeError|ReferenceError|undefined/);
  for (const line of o.err) {
    expect(line).not.toContain('\n');
    expect(Buffer.byteLength(line), line).toBeLessThan(300);
  }
  if (o.code !== 0) expect(o.err, 'an error is exactly one line').toHaveLength(1);
  else expect(o.err.length).toBeLessThanOrEqual(o.changes.length + 1);
  if (o.code === 2) expect(o.ipMade + o.ipRan + o.locked, 'exit 2 runs nothing').toBe(0);
  for (const change of o.changes) {
    for (const token of change.argv) expect(allowed(token, env.interface), `token ${JSON.stringify(token)} in ${change.argv.join(' ')}`).toBe(true);
    const dev = change.argv.indexOf('dev');
    if (dev !== -1) expect(change.argv[dev + 1]).toBe(env.interface);
  }
}

describe('fuzzing the hook environment', () => {
  it('hostile environments (2000 runs): no throw, exit 0/1/2, one short line, exit 2 runs nothing', async () => {
    await fc.assert(
      fc.asyncProperty(hostileEnv, async (env) => checkOutcome(env, await runMain(env, { configDir }))),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('valid leases (1000 runs): only allow-listed tokens reach ip; most of them are accepted', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(validLease, async (env) => {
        const o = await runMain(env, { configDir });
        checkOutcome(env, o);
        if (o.code === 0) accepted++;
        if (o.code === 0 && UP.includes(env.reason!)) expect(o.changes.length).toBeGreaterThanOrEqual(2);
      }),
      { seed: SEED + 1, numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(800);
  });

  it('valid leases with a hostile extra mixed in (1000 runs)', async () => {
    const mixed = fc
      .tuple(validLease, fc.constantFrom('reason', 'interface', ...LEASE_KEYS.flatMap((k) => [`new_${k}`, `old_${k}`])), junk)
      .map(([env, key, value]) => ({ ...env, [key]: value }));
    await fc.assert(
      fc.asyncProperty(mixed, async (env) => checkOutcome(env, await runMain(env, { configDir }))),
      { seed: SEED + 2, numRuns: 1000 },
    );
  });

  it('valid IPv6 events (1000 runs): only allow-listed tokens reach ip -6', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(validV6, async (env) => {
        const o = await runMain(env, { configDir });
        checkOutcome(env, o);
        if (o.code === 0) accepted++;
      }),
      { seed: SEED + 4, numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(900);
  });

  it.each([
    ['BOUND', 2, { reason: 'BOUND', interface: 'eth0v0', new_ip_address: '100.64.0.50', new_subnet_cidr: '24', new_routers: '100.64.0.1' }],
    ['BOUND6', 4, { reason: 'BOUND6', interface: 'eth0v0', new_dhcp6_ia_na1_ia_addr1: '2001:db8:1::5' }],
    // a lease's end asks a third question: the interface's addresses
    ['STOPPED', 3, { reason: 'STOPPED', interface: 'eth0v0' }],
  ] as const)('whatever ip answers a %s (arbitrary JSON, 500 runs): no crash, no stack trace', async (_, count, env) => {
    await fc.assert(
      // Mostly shaped like ip's answers (arrays of objects), sometimes anything.
      fc.asyncProperty(fc.array(fc.oneof(fc.jsonValue(), fc.array(fc.dictionary(fc.constantFrom('dst', 'gateway', 'src', 'table', 'protocol', 'priority', 'metric', 'ifname', 'addr_info', 'local', 'dev'), fc.jsonValue()))), { minLength: count, maxLength: count }), async (answers) => {
        const o = await runMain(env, { configDir, answers });
        tried++;
        byCode[o.code] = (byCode[o.code] ?? 0) + 1;
        expect([0, 1], stderrText(o)).toContain(o.code);
        expect(stderrText(o)).not.toMatch(/    at |this is a bug/);
      }),
      { seed: SEED + 3, numRuns: 500 },
    );
  });
});
