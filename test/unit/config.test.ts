import { tempDir } from '../support/tmp.js';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { KEYS, defaultConfigText, readLayers, resolveConfig, type Layer } from '../../src/hook/config.js';
import { InputError } from '../../src/shared/errors.js';
import { parseTableFile } from '../../src/kernel/tables.js';

const tables = new Map([['pub', 123], ['isp2', 124], ['main', 254]]);
const resolve = (...values: Layer['values'][]) =>
  resolveConfig(values.map((v, i) => ({ source: `/etc/srcroute/${i === 0 ? 'srcroute' : 'eth0v0'}.env`, values: v })), () => tables, (p) => p === '/sbin/ip');

describe('resolveConfig', () => {
  it('defaults just work: table pub (123), priority 1000, the first ip found', () => {
    expect(resolve()).toEqual({ table: 123, tableName: 'pub', priority: 1000, ip: '/sbin/ip', protocol: 213, timeoutMs: 5000, ipv6: true, forward: false, mark: { value: 0x7b000000, mask: 0xff000000 } });
  });

  it('FORWARD is off by default; the mark is the table number in the mask\'s bits, or MARK', () => {
    expect(resolve()).toMatchObject({ forward: false, mark: { value: 0x7b000000, mask: 0xff000000 } });
    expect(resolve({ FORWARD: 'yes', TABLE: 'isp2' }).mark.value).toBe(0x7c000000);
    expect(resolve({ MARK_MASK: '0x00f00000' }, { TABLE: '124' }).mark).toEqual({ value: 0x00c00000, mask: 0x00f00000 });
    expect(resolve({ MARK: '0x01000000' }).mark.value).toBe(0x01000000);
  });

  it('"pub" means 123 even when no rt_tables file names it', () => {
    expect(resolveConfig([], () => new Map(), () => false).table).toBe(123);
  });

  it('the interface file overrides the global one', () => {
    expect(resolve({ TABLE: '123', PRIORITY: '900' }, { TABLE: 'isp2' })).toMatchObject({ table: 124, tableName: 'isp2', priority: 900 });
  });

  it.each<[string, Layer['values'], RegExp]>([
    ['table main', { TABLE: 'main' }, /invalid TABLE "main" in .*: a system table/],
    ['table local', { TABLE: 'local' }, /a system table/],
    ['table 255', { TABLE: '255' }, /a system table/],
    ['table 0', { TABLE: '0' }, /a system table/],
    ['an unregistered table name', { TABLE: 'nosuch' }, /not a table number, nor a name registered/],
    ['a name registered as main', { TABLE: 'pub' }, /./],
    ['priority 0', { PRIORITY: '0' }, /invalid PRIORITY "0"/],
    ['priority 32766', { PRIORITY: '32766' }, /invalid PRIORITY "32766"/],
    ['priority 1e3', { PRIORITY: '1e3' }, /invalid PRIORITY "1e3"/],
    ['priority with a command', { PRIORITY: '123;reboot' }, /invalid PRIORITY/],
    ['a relative ip path', { IP: 'ip' }, /invalid IP "ip".*absolute path/],
    ['an ip path with a substitution', { IP: '/sbin/$(reboot)' }, /invalid IP/],
    ['protocol 2 (kernel)', { PROTOCOL: '2' }, /invalid PROTOCOL "2"/],
    ['timeout 60', { TIMEOUT: '60' }, /invalid TIMEOUT "60"/],
    ['forward 1', { FORWARD: '1' }, /invalid FORWARD "1".*not yes or no/],
    ['a mask of two runs', { MARK_MASK: '0xff00ff00' }, /invalid MARK_MASK "0xff00ff00"/],
    ['a decimal mask', { MARK_MASK: '4278190080' }, /invalid MARK_MASK/],
    ['a mark outside the mask', { MARK: '0x7b' }, /invalid MARK "0x7b".*within MARK_MASK 0xff000000/],
    ['mark 0 (no mark)', { MARK: '0x0' }, /invalid MARK "0x0"/],
    ['a table whose bits miss the mask', { TABLE: '256' }, /invalid MARK "" .*table 256 leaves no bit set.*set MARK/],
  ])('refuses %s', (what, values, message) => {
    const resolveWith = what === 'a name registered as main'
      ? () => resolveConfig([{ source: 'x', values }], () => new Map([['pub', 254]]), () => true)
      : () => resolve(values);
    expect(resolveWith).toThrow(InputError);
    expect(resolveWith).toThrow(message);
  });
});

describe('readLayers', () => {
  const dir = (files: Record<string, string>, mode = 0o644): string => {
    const d = tempDir('srcroute-config');
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(d, name), text);
      chmodSync(join(d, name), mode);
    }
    return d;
  };
  const uid = process.getuid?.() ?? 0;

  it('reads nothing when there is no file (defaults)', () => {
    expect(readLayers(dir({}), 'eth0v0', uid)).toEqual([]);
  });

  it('reads the global file, then the interface file; comments and quotes as dotenv has them', () => {
    const d = dir({ 'srcroute.env': '# hi\nTABLE="pub"\n', 'eth0v0.env': "PRIORITY='900' # inline\n" });
    expect(readLayers(d, 'eth0v0', uid).map((l) => l.values)).toEqual([{ TABLE: 'pub' }, { PRIORITY: '900' }]);
  });

  it('never executes anything: $(...) stays text', () => {
    const d = dir({ 'srcroute.env': 'IP=$(touch /tmp/srcroute-pwned)\n' });
    expect(readLayers(d, null, uid)[0]!.values.IP).toBe('$(touch /tmp/srcroute-pwned)');
  });

  it.each<[string, Record<string, string>, number, RegExp]>([
    ['a group-writable file', { 'srcroute.env': 'TABLE=123\n' }, 0o664, /refusing config .*writable by group or others \(mode 664\)/],
    ['a world-writable file', { 'srcroute.env': 'TABLE=123\n' }, 0o646, /writable by group or others/],
    ['an unknown key (a typo must not silently mean the default)', { 'srcroute.env': 'TABEL=124\n' }, 0o644, /unknown key "TABEL"/],
    ['PROTOCOL in an interface file', { 'eth0v0.env': 'PROTOCOL=99\n' }, 0o644, /PROTOCOL in .*eth0v0.env/],
    ['MARK_MASK in an interface file', { 'eth0v0.env': 'MARK_MASK=0xff\n' }, 0o644, /MARK_MASK in .*eth0v0.env: every interface's mark/],
  ])('refuses %s', (_, files, mode, message) => {
    expect(() => readLayers(dir(files, mode), 'eth0v0', uid)).toThrow(message);
  });
});

describe('the installed config file', () => {
  it('names every key with its default, commented out, so that as shipped it changes nothing', () => {
    const text = defaultConfigText();
    expect(parse(text)).toEqual({});
    for (const [key, { default: value }] of Object.entries(KEYS)) expect(text).toContain(`\n#${key}=${value}\n`);
  });
});

describe('rt_tables files', () => {
  it('reads numbers and names, skipping comments and junk', () => {
    const names = new Map<string, number>();
    parseTableFile('# comment\n255\tlocal\n123 pub # the original\n0x7c isp2\nnot a line\n', names);
    expect(names).toEqual(new Map([['local', 255], ['pub', 123], ['isp2', 124]]));
  });
});

describe('the config directory', () => {
  it('is refused when group or others can write it (they could swap a file for a link)', () => {
    const d = tempDir('srcroute-config');
    chmodSync(d, 0o775);
    expect(() => readLayers(d, 'eth0v0', process.getuid?.() ?? 0)).toThrow(/refusing config .*: writable by group or others \(mode 775\)/);
  });

  it('may be missing: the defaults apply', () => {
    expect(readLayers('/nonexistent/srcroute', 'eth0v0', 0)).toEqual([]);
  });
});
