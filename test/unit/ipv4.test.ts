// parseIPv4 reads digit by digit; this holds it to the strict dotted-quad expression it replaced
// (four decimal octets, no leading zeros, no spaces, no tricks) on generated text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, parseIPv4 } from '../../src/shared/ipv4.js';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const reference = (text: string): number | null => {
  const m = DOTTED_QUAD.exec(text);
  return m ? ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0 : null;
};

describe('parseIPv4', () => {
  it.each([
    ['100.64.0.50', 0x64400032], ['0.0.0.0', 0], ['255.255.255.255', 0xffffffff],
    ['1.2.3.04', null], ['256.1.1.1', null], ['1.2.3', null], ['1.2.3.4.5', null], ['1..2.3', null], [' 1.2.3.4', null],
    ['1.2.3.4\n', null], ['0x1.2.3.4', null], ['1.2.3.-4', null], ['1.2.3.+4', null], ['１.2.3.4', null], ['', null], ['1e2.0.0.1', null],
  ])('%s -> %s', (text, n) => {
    expect(parseIPv4(text)).toBe(n);
    expect(reference(text)).toBe(n);
  });

  it('agrees with the dotted-quad expression on generated text, and round-trips', () => {
    const chars = fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '25', '255', '256', '00', ' ', '-', '+', 'a', '\n', '\u0660');
    fc.assert(
      fc.property(fc.oneof(fc.array(chars, { maxLength: 16 }).map((c) => c.join('')), fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((o) => o.join('.'))), (text) => {
        expect(parseIPv4(text)).toBe(reference(text));
      }),
      { seed: 0x1e4, numRuns: 20000 },
    );
    fc.assert(fc.property(fc.nat(0xffffffff), (n) => parseIPv4(formatIPv4(n)) === n), { seed: 0x1e4 });
  });
});
