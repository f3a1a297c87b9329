// The hook file's code cache (src/hook/code-cache.ts): the built hook holds the bundle, wrapped
// as Node wraps a module and without a star-slash, between the markers build.mjs writes (their
// parity), and the cache is only ever kept in a directory no one else can write.
import { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_END, BUNDLE_START, MODULE_WRAPPER, cacheFileBytes, cachePath, kindsAfter, readCacheFile, wrappedBundle,
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
    expect(readCacheFile(cacheFileBytes(['BOUND', 'RENEW'], data))).toEqual({ kinds: ['BOUND', 'RENEW'], data });
    expect(readCacheFile(cacheFileBytes([], data))).toEqual({ kinds: [''], data });
    expect(readCacheFile(Buffer.alloc(300, 0x41))).toBeUndefined();
    expect(readCacheFile(Buffer.from('bound\nxyz'))).toBeUndefined();
  });
});
