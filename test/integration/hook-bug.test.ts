// A bug in the built hook (dist/hook.cjs), as syslog sees it: one line on stderr that says it is a
// bug and how to get its stack (SRCROUTE_DEBUG=1); with SRCROUTE_DEBUG=1 the stack follows. The
// bug is made by a --require'd script that throws a TypeError from the config file's read (the
// hook passes on whatever is not a failed system call as it is): no code of srcroute's changes.
// In a namespace of its own, as every run of the hook here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_BUNDLE, configDir, hookEnv } from '../support/bundle.js';
import { Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { tempDir } from '../support/tmp.js';

const ok = prerequisites('a bug in the built hook', ['root', 'ip']);

const LEASE = {
  reason: 'BOUND',
  interface: 'eth0v0',
  new_ip_address: '100.64.0.10',
  new_subnet_cidr: '24',
  new_routers: '100.64.0.1',
};

/** Throws a TypeError where the hook reads srcroute.env, as a bug of srcroute's own would. */
const PRELOAD = `const fs = require('node:fs');
const read = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (String(path).endsWith('/srcroute.env')) throw new TypeError('planted: not a function');
  return read.call(this, path, ...rest);
};
`;

describe.skipIf(!ok)('a bug in the built hook', () => {
  let ns: Netns;
  let preload = '';
  let cfg = '';
  beforeAll(() => {
    ns = Netns.create('bug');
    preload = join(tempDir('srcroute-bug'), 'plant-bug.cjs');
    writeFileSync(preload, PRELOAD);
    cfg = configDir({ 'srcroute.env': '' });
  });
  afterAll(() => ns?.destroy());

  const hook = (extra: Record<string, string>) =>
    ns.run([...hookEnv(LEASE, cfg, extra), process.execPath, '--require', preload, HOOK_BUNDLE]);

  it('says so in one line, with how to get the stack', () => {
    const r = hook({});
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^srcroute\[eth0v0\] BOUND: bug: TypeError: planted: not a function \(this is a bug/);
    expect(lines[0]).toContain('SRCROUTE_DEBUG=1 in its environment prints the stack');
  });

  it('under SRCROUTE_DEBUG=1: the line, then the stack', () => {
    const r = hook({ SRCROUTE_DEBUG: '1' });
    expect(r.code, r.stderr).toBe(1);
    const [first, ...stack] = r.stderr.split('\n').filter(Boolean);
    expect(first).toMatch(/^srcroute\[eth0v0\] BOUND: bug: TypeError: planted: not a function/);
    expect(first).not.toContain('SRCROUTE_DEBUG');
    expect(stack.length, r.stderr).toBeGreaterThan(0);
    for (const l of stack) expect(l).toMatch(/^\s+at /);
  });
});
