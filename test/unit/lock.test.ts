import { tempDir } from '../support/tmp.js';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SystemError } from '../../src/shared/errors.js';
import { fileLocker } from '../../src/kernel/lock.js';

const dir = () => join(tempDir('srcroute-lock'), 'run', 'srcroute');
const quiet = { timeoutMs: 1000, warn: (m: string) => expect.fail(`unexpected warning: ${m}`) };
const lockPath = (d: string): string => join(d, readdirSync(d).find((f) => f.endsWith('.lock'))!);

describe('fileLocker', () => {
  it('creates its directory, runs the critical part, and leaves no lock behind', async () => {
    const d = dir();
    expect(await fileLocker(d)('table-123', quiet, async () => readdirSync(d))).toEqual([expect.stringMatching(/^table-123\.netns-\d+\.lock$/)]);
    expect(readdirSync(d)).toEqual([]);
  });

  it('never lets two critical parts for one name overlap', async () => {
    const lock = fileLocker(dir());
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        lock('table-123', quiet, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('lets different names run at once', async () => {
    const lock = fileLocker(dir());
    let inside = 0;
    let most = 0;
    const hold = async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    };
    await Promise.all([lock('table-123', quiet, hold), lock('table-124', quiet, hold)]);
    expect(most).toBe(2);
  });

  it('breaks a lock whose holder is gone', async () => {
    const d = dir();
    const lock = fileLocker(d);
    let path = '';
    await lock('table-123', quiet, async () => (path = lockPath(d)));
    const dead = spawnSync('true').pid;
    writeFileSync(path, `${dead} gone\n`);
    expect(await lock('table-123', quiet, async () => 'ran')).toBe('ran');
    expect(existsSync(path)).toBe(false);
  });

  it('gives up after the timeout while a live holder keeps it', async () => {
    const d = dir();
    const lock = fileLocker(d);
    let path = '';
    await lock('table-123', quiet, async () => (path = lockPath(d)));
    writeFileSync(path, `${process.pid} alive\n`);
    const started = Date.now();
    await expect(lock('table-123', { ...quiet, timeoutMs: 200 }, async () => 'ran')).rejects.toThrow(SystemError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(existsSync(path)).toBe(true);
  });

  it('goes on without a lock, and says so, when the directory cannot be made', async () => {
    const warnings: string[] = [];
    const r = await fileLocker('/proc/srcroute')('table-123', { timeoutMs: 100, warn: (m) => warnings.push(m) }, async () => 'ran');
    expect(r).toBe('ran');
    expect(warnings).toEqual([expect.stringMatching(/^cannot lock \/proc\/srcroute\/table-123\.netns-\d+\.lock \(ENOENT\); going on without the lock$/)]);
  });
});
