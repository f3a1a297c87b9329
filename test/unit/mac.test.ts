import { tempDir } from '../support/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMachineId, stableMac } from '../../src/operator/mac.js';

const ID = '0123456789abcdef0123456789abcdef';

describe('stableMac', () => {
  it.each([
    [ID, 'eth0v0'],
    [ID, 'eth0v1'],
    ['fedcba9876543210fedcba9876543210', 'eth0v0'],
  ])('%s + %s: 02: then five hash bytes, the same every time', (id, iface) => {
    const mac = stableMac(id, iface);
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(stableMac(id, iface)).toBe(mac);
  });

  it('differs per interface and per machine', () => {
    const macs = new Set([stableMac(ID, 'eth0v0'), stableMac(ID, 'eth0v1'), stableMac('fedcba9876543210fedcba9876543210', 'eth0v0')]);
    expect(macs.size).toBe(3);
  });

  it('is pinned: a change here would cost every user a public address', () => {
    expect(stableMac(ID, 'eth0v0')).toMatchInlineSnapshot(`"02:0a:3e:7f:3f:cf"`);
  });
});

describe('readMachineId', () => {
  const dir = tempDir('srcroute-mac');
  it.each([
    ['missing', null, /missing or empty/],
    ['empty', '', /missing or empty/],
    ['not hex', 'hello\n', /not 32 hex digits/],
  ])('%s: a clear InputError', (name, content, message) => {
    const path = join(dir, name);
    if (content !== null) writeFileSync(path, content);
    expect(() => readMachineId(path)).toThrow(message);
  });
  it('reads and trims a valid id', () => {
    writeFileSync(join(dir, 'ok'), `${ID}\n`);
    expect(readMachineId(join(dir, 'ok'))).toBe(ID);
  });
});
