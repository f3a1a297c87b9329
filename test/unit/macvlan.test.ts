// The macvlan's persistent definitions, one golden file per stack, and stack detection.
import { describe, expect, it } from 'vitest';
import { definitionFor, detectStack, renderDefinition, STACKS } from '../../src/operator/macvlan.js';
import { golden } from '../support/golden.js';

const SPEC = { iface: 'eth0v0', parent: 'eth0', mac: '02:0a:3e:7f:3f:cf' };

describe('macvlan definitions (golden)', () => {
  it.each(STACKS)('%s', (stack) => {
    const text = `${renderDefinition(definitionFor(stack, SPEC), 'as asked with --stack').join('\n')}\n`;
    expect(text).toBe(golden(`macvlan-${stack}.txt`, text));
    expect(text).toContain(SPEC.mac);
  });
});

describe('detectStack', () => {
  it.each([
    [{ networkdInUse: true, networkManagerRunning: true, ifupdownPresent: true }, 'networkd'],
    [{ networkdInUse: false, networkManagerRunning: true, ifupdownPresent: true }, 'nm'],
    [{ networkdInUse: false, networkManagerRunning: false, ifupdownPresent: true }, 'ifupdown'],
    [{ networkdInUse: false, networkManagerRunning: false, ifupdownPresent: false }, null],
  ])('%j -> %s', (facts, want) => expect(detectStack(facts)).toBe(want));
});
