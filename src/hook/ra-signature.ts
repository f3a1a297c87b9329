// The dispatcher's memory of the last router advertisement srcroute acted on. dhcpcd runs its
// hooks for every RA it receives (every few minutes per router, more during renumbering), and
// starting Node costs ~100 ms, so hooks/dhcpcd.exit-hook compares a signature of the RA (built in
// sh, without forking) with IFACE.ra in the state dir and skips Node when they are equal. The
// signature reaches Node as SRCROUTE_RA_SIG; Node writes it after a run that succeeded, and
// removes it when a run failed or IPv6 was cleared (flush removes them all), so the next RA runs
// again. A cache, not state: missing or garbled, it only costs one Node run.
import { mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Never throw: the gate is an optimisation, and without a usable state dir Node simply runs. */
export interface RaSignatures {
  /** Remember `signature` for `iface`, or forget it (null). */
  set(iface: string, signature: string | null): void;
  /** Forget every interface's. */
  clear(): void;
}

/** What the dispatcher builds: words of addresses, numbers and flags, on one line. */
const SIGNATURE = /^[A-Za-z0-9 _.,:/=+@-]{1,8192}$/;

const quietly = (f: () => void): void => {
  try {
    f();
  } catch {
    // no file to remove, or no writable state dir: the next RA starts Node, which is correct
  }
};

export function raSignatureFiles(dir: string): RaSignatures {
  return {
    set: (iface, signature) =>
      quietly(() => {
        const path = join(dir, `${iface}.ra`);
        if (signature === null || !SIGNATURE.test(signature)) return unlinkSync(path);
        quietly(() => mkdirSync(dir, 0o700));
        writeFileSync(`${path}.${process.pid}`, `${signature}\n`, { mode: 0o600 });
        renameSync(`${path}.${process.pid}`, path);
      }),
    clear: () =>
      quietly(() =>
        readdirSync(dir)
          .filter((f) => f.endsWith('.ra'))
          .forEach((f) => quietly(() => unlinkSync(join(dir, f)))),
      ),
  };
}
