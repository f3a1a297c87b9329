// reasons.ts decides which reasons srcroute acts on; the sh dispatcher repeats that list so that
// ignored events never start Node. The two must not drift apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVE_REASONS, meaningOf } from '../../src/hook/reasons.js';

const dispatcher = readFileSync(join(__dirname, '..', '..', 'hooks', 'dhcpcd.exit-hook'), 'utf8');

describe('the reasons srcroute acts on', () => {
  it('are the ones the dispatcher lets through to Node', () => {
    const block = /case "\$\{reason-\}" in\n([\s\S]*?)\n\s*esac/.exec(dispatcher)?.[1] ?? '';
    const passed = block.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? [];
    expect(new Set(passed)).toEqual(new Set(ACTIVE_REASONS));
  });

  it('include TIMEOUT only with a lease, in both places', () => {
    expect(meaningOf('TIMEOUT', false)).toBeNull();
    expect(meaningOf('TIMEOUT', true)).toEqual({ family: 4, action: 'up' });
    expect(dispatcher).toMatch(/TIMEOUT\) \[ -n "\$\{new_ip_address-\}" \] \|\| return 0 ;;/);
  });
});
