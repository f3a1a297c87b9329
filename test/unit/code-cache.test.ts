// The hook file's code cache (src/hook/code-cache.ts): the built hook holds the bundle, wrapped
// as Node wraps a module and without a star-slash, between the markers build.mjs writes (their
// parity), and the cache is only ever kept in a directory no one else can write.
import { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_END, BUNDLE_START, MODULE_WRAPPER, cacheFileBytes, cachePath, isKind, kindsAfter, readCacheFile, wrappedBundle,
} from '../../src/hook/code-cache.js';
import { HOOK_BUNDLE } from '../support/bundle.js';
import { tempDir } from '../support/tmp.js';

describe('the bundle in its comment', () => {
  it("is in the built hook between build.mjs's markers, whole: Node parses it, and it names the hook's modules", async () => {
    const text = readFileSync(HOOK_BUNDLE, 'utf8');
    expect(text.split(BUNDLE_START)).toHaveLength(2);
    expect(text.endsWith(BUNDLE_END)).toBe(true);
    const { Script } = await import('node:vm');
    const source = wrappedBundle(text);
    expect(() => new Script(source)).not.toThrow();
    expect(source).toMatch(/^\/\/ src\/hook\/hook\.ts$/m);
    expect(source.startsWith(MODULE_WRAPPER[0]) && source.endsWith(MODULE_WRAPPER[1])).toBe(true);
    expect(source).not.toContain('*/');
  });

  it('a file without it is refused', () => {
    expect(() => wrappedBundle('#!/usr/bin/env node\nconsole.log(1)\n')).toThrow('no bundle in this hook file');
  });
});

describe('where the cache may be kept', () => {
  const setUp = (mode: number) => {
    const dir = tempDir('srcroute-cache');
    const state = join(dir, 'state');
    mkdirSync(state);
    chmodSync(state, mode);
    const hook = join(dir, 'eth0v0.exit-hook');
    writeFileSync(hook, 'x');
    return { state, hook };
  };
  const uid = process.getuid?.() ?? 0;

  it.each([
    [0o700, true],
    [0o755, true],
    [0o775, false], // group-writable: someone else could put bytecode there for root to run
    [0o777, false],
    [0o1777, false],
  ])('a state directory of mode %s: %s', (mode, kept) => {
    const { state, hook } = setUp(mode);
    const path = cachePath(hook, state, uid);
    if (kept) expect(path).toMatch(new RegExp(`^${state}/hook-\\d+-1-\\d+\\.v8cache$`));
    else expect(path).toBeNull();
  });

  it("another user's directory, or none, keeps none", () => {
    const { state, hook } = setUp(0o700);
    expect(cachePath(hook, state, uid + 1)).toBeNull();
    expect(cachePath(hook, join(state, 'missing'), uid)).toBeNull();
    expect(cachePath(join(state, 'no-hook'), state, uid)).toBeNull();
  });

  it('an edited hook file gets a cache of its own (V8 checks only the length of the text)', () => {
    const { state, hook } = setUp(0o700);
    const before = cachePath(hook, state, uid);
    utimesSync(hook, new Date(), new Date(Date.now() + 5000));
    expect(cachePath(hook, state, uid)).not.toBe(before);
  });
});

describe('the events a cache was made by', () => {
  it.each([
    ['no cache: this run writes one naming its event', undefined, 'BOUND', ['BOUND']],
    ['no cache, an event with no kind: one naming none', undefined, 'bad reason', []],
    ['an event it was made by: nothing to write', ['BOUND'], 'BOUND', null],
    ['an event of another kind: written again, naming both', ['BOUND'], 'RENEW6', ['BOUND', 'RENEW6']],
    ['an operator command in the hook file (no reason): a kind of its own', ['BOUND'], '', ['BOUND', '']],
    ['an event with no kind and a cache: nothing to write', ['BOUND'], 'x;y', null],
    ['twelve kinds already: nothing more', Array.from({ length: 12 }, (_, i) => `K${i}`), 'BOUND', null],
  ] as const)('%s', (_name, had, reason, want) => {
    expect(kindsAfter(had, reason)).toEqual(want);
  });

  it("come back from the file with V8's data, byte for byte; a file without the line is no cache", () => {
    const data = Buffer.from([0, 10, 255, 1, 10]);
    const read = (bytes: Buffer) => {
      const r = readCacheFile(bytes);
      return r && { kinds: r.kinds, data: Buffer.from(r.data) };
    };
    expect(read(cacheFileBytes(['BOUND', 'RENEW'], data))).toEqual({ kinds: ['BOUND', 'RENEW'], data });
    expect(read(cacheFileBytes([], data))).toEqual({ kinds: [''], data });
    expect(read(Buffer.alloc(300, 0x41))).toBeUndefined();
    expect(read(Buffer.from('bound\nxyz'))).toBeUndefined();
  });

  // The header was read with a regular expression, Buffer's indexOf and latin1 text before: the
  // loops that replaced them (for the jitless hook's sake) must agree with that on any bytes.
  const KIND = /^[A-Z0-9_]{0,16}$/;
  const byPattern = (bytes: Buffer) => {
    const nl = bytes.subarray(0, 256).indexOf(10);
    if (nl < 0) return undefined;
    const kinds = bytes.subarray(0, nl).toString('latin1').split(',');
    return kinds.every((k) => KIND.test(k)) ? { kinds, data: bytes.subarray(nl + 1) } : undefined;
  };
  const headerByte = fc.constantFrom(10, 44, 65, 90, 48, 57, 95, 97, 0, 255, 0x41);

  it('read as the regular expression read them, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.array(headerByte, { maxLength: 300 }), (array) => {
        const bytes = Buffer.from(array);
        const got = readCacheFile(bytes);
        const want = byPattern(bytes);
        expect(got && { kinds: got.kinds, data: Buffer.from(got.data) }).toEqual(want && { ...want, data: Buffer.from(want.data) });
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('A', 'Z', '0', '9', '_', 'a', ',', '\n', 'é'), maxLength: 20 }), (s) => {
        expect(isKind(s)).toBe(KIND.test(s));
      }),
    );
  });
});
