// The words the hook reads character by character (src/shared/chars.ts), each held to the regular
// expression it replaced, on generated words over an alphabet that holds every edge of its classes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalUpTo, hexValue, isDigits, withoutSuffix } from '../../src/shared/chars.js';
import { isInterfaceName, isReasonWord } from '../../src/hook/event.js';
import { bracketedNumber } from '../../src/kernel/lock.js';
import { resolveConfig } from '../../src/hook/config.js';

const EDGES = ['0', '1', '2', '3', '5', '9', 'a', 'f', 'g', 'z', 'A', 'F', 'G', 'Z', 'x', '_', '.', '-', '/', '[', ']',
  ' ', '@', '`', '{', ':', 'é', '\n'];
const word = (maxLength: number, extra: string[] = []) =>
  fc.string({ unit: fc.constantFrom(...EDGES, ...extra), maxLength });
const agree = (arb: fc.Arbitrary<string>, got: (s: string) => unknown, want: (s: string) => unknown) =>
  fc.assert(
    fc.property(arb, (s) => {
      expect(got(s)).toEqual(want(s));
    }),
    { numRuns: 3000 },
  );

describe('each check agrees with the pattern it replaced', () => {
  it('interface names: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/', () => {
    agree(word(18), isInterfaceName, (s) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(s));
  });

  it("reasons: /^[A-Z0-9][A-Z0-9_]{0,31}$/", () => {
    agree(word(36, ['B', 'O', 'U', 'N', 'D']), isReasonWord, (s) => /^[A-Z0-9][A-Z0-9_]{0,31}$/.test(s));
  });

  it('digits: /^[0-9]{1,10}$/', () => {
    agree(word(12, ['4', '7']), (s) => isDigits(s, 10), (s) => /^[0-9]{1,10}$/.test(s));
  });

  it('prefix lengths: /^(3[0-2]|[12]?[0-9])$/', () => {
    agree(word(3), (s) => decimalUpTo(s, 32), (s) => (/^(3[0-2]|[12]?[0-9])$/.test(s) ? Number(s) : null));
  });

  it('bytes: /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/', () => {
    const byte = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
    agree(word(4, ['4']), (s) => decimalUpTo(s, 255), (s) => (byte.test(s) ? Number(s) : null));
    for (let n = 0; n <= 300; n++) expect(decimalUpTo(String(n), 255)).toBe(n <= 255 ? n : null);
  });

  it('hex numbers: /^0x[0-9a-fA-F]{1,8}$/', () => {
    const hex = fc.tuple(fc.constantFrom('0x', '0X', 'x', '0', ''), word(10)).map(([a, b]) => a + b);
    agree(hex, (s) => hexValue(s, 8), (s) => (/^0x[0-9a-fA-F]{1,8}$/.test(s) ? Number(s) : null));
  });

  it('table names: /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/', () => {
    const reserved = ['unspec', 'default', 'main', 'local'];
    const named = (s: string) => {
      try {
        return resolveConfig([{ source: 'x', values: { TABLE: s } }], () => new Map([[s, 7]]), () => true).table;
      } catch {
        return null;
      }
    };
    agree(word(34).filter((s) => !/^[0-9]+$/.test(s) && !reserved.includes(s)), named, (s) =>
      /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(s) ? 7 : null,
    );
  });

  it('the bracketed number of /proc/self/ns/net: /\\[(\\d+)\\]/', () => {
    agree(word(12), bracketedNumber, (s) => /\[(\d+)\]/.exec(s)?.[1] ?? null);
    expect(bracketedNumber('net:[4026531840]')).toBe('4026531840');
  });

  it('a suffix removed: replace(/\\/32$/, "")', () => {
    agree(word(8, ['/32', '/128']), (s) => withoutSuffix(s, '/32'), (s) => s.replace(/\/32$/, ''));
  });
});
