// The named network namespaces as the test support lists them (test/support/netns.ts): a machine
// where `ip netns add` never ran has no /run/netns, and the bench's first namespace threw there
// (ENOENT from the sweep of crashed runs' namespaces) before it made one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedNamespaces } from '../support/netns.js';

describe('namedNamespaces', () => {
  it('is empty where the directory was never made', () => {
    expect(namedNamespaces(join(tmpdir(), 'srcroute-no-such-netns-dir'))).toEqual([]);
  });

  it('lists the names in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srcroute-netns-names-'));
    try {
      writeFileSync(join(dir, 'sr-box-1-1'), '');
      expect(namedNamespaces(dir)).toEqual(['sr-box-1-1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
