// The macvlan's persistent definitions, one golden file per stack.
import { describe, expect, it } from 'vitest';
import { definitionFor, renderDefinition, MACVLAN_STACKS } from '../../src/operator/macvlan.js';
import { golden } from '../support/golden.js';

const SPEC = { iface: 'eth0v0', parent: 'eth0', mac: '02:0a:3e:7f:3f:cf' };

describe('macvlan definitions (golden)', () => {
  it.each(MACVLAN_STACKS.map((s) => [s]))('%s', (stack) => {
    const text = `${renderDefinition(definitionFor(stack, SPEC, stack === 'networkd' ? '/run/systemd/network/10-netplan-eth0.network' : null), 'as asked with --stack').join('\n')}\n`;
    expect(text).toBe(golden(`macvlan-${stack}.txt`, text));
    expect(text).toContain(SPEC.mac);
  });
});
