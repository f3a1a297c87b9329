// `sudo npm run demo` end to end, as a newcomer runs it: demo/run.mjs bundles demo/demo.ts (the
// labs of test/support/ as ESM) and narrates a lease's life. It broke once without a test: the
// ESM bundle had no __dirname (test/support/sandbox.ts). Outside a clone it must say, in one
// line, what it needs.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prerequisites } from '../support/prereq.js';
import { run } from '../support/run.js';
import { tempDir } from '../support/tmp.js';

const REPO = resolve(__dirname, '../..');
const RUN = join(REPO, 'demo', 'run.mjs');
const ok = prerequisites('demo', ['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare', join(REPO, 'dist/srcroute.cjs')]);

describe.skipIf(!ok)('npm run demo', () => {
  it('narrates a rule added, a renumbering, a release and answered pings, then leaves nothing behind', () => {
    const r = run([process.execPath, RUN], { timeoutMs: 150_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/srcroute\[eth0v0\] BOUND: rule from (100\.64\.0\.\d+) lookup pub pref 1000 added/);
    expect(out).toMatch(/-> {2}reply/);
    expect(out).toMatch(/eth0v0 is now 100\.64\.0\.7\d/);
    expect(out).toMatch(/BOUND: rule from 100\.64\.0\.7\d lookup pub pref 1000 added/);
    expect(out).toMatch(/(STOP|RELEASE): rule from 100\.64\.0\.7\d lookup pub pref 1000 removed/);
    expect(out).not.toContain('unexpected!');
    expect(out).toContain('nothing left behind');
  }, 180_000);
});

describe('the demo outside a clone', () => {
  it('says in one line that it needs a clone with `npm ci`', () => {
    const dir = tempDir('srcroute-not-a-clone');
    mkdirSync(join(dir, 'demo'));
    copyFileSync(RUN, join(dir, 'demo', 'run.mjs'));
    const r = run([process.execPath, join(dir, 'demo', 'run.mjs')]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'demo: needs a clone of the srcroute repository with `npm ci` run in it, then `sudo npm run demo`\n',
    ]);
  });
});
