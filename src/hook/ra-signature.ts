// The dispatcher's memory of the last router advertisement srcroute acted on. dhcpcd runs its
// hooks for every RA it receives (every few minutes per router, more during renumbering), and
// starting Node costs ~100 ms, so hooks/dhcpcd.exit-hook compares a signature of the RA (built in
// sh, without forking) with this file and skips Node when they are equal. The signature reaches
// Node as SRCROUTE_RA_SIG; Node writes it after a run that succeeded, and removes it when a run
// failed or IPv6 was cleared, so the next RA runs again. A cache, not state: missing or garbled,
// it only costs one Node run.
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Remember `signature` for `iface`, or forget it (null). Never throws: the gate is an optimisation. */
export type RaSignature = (iface: string, signature: string | null) => void;

/** What the dispatcher builds: words of addresses, numbers and flags, on one line. */
const SIGNATURE = /^[A-Za-z0-9 _.,:/=+@-]{1,8192}$/;

export function raSignatureFile(dir: string): RaSignature {
  return (iface, signature) => {
    const path = join(dir, `${iface}.ra`);
    try {
      if (signature === null || !SIGNATURE.test(signature)) {
        unlinkSync(path);
        return;
      }
      try {
        mkdirSync(dir, 0o700);
      } catch {
        // it exists, or the write below says why not
      }
      writeFileSync(`${path}.${process.pid}`, `${signature}\n`, { mode: 0o600 });
      renameSync(`${path}.${process.pid}`, path);
    } catch {
      // no file to remove, or no writable state dir: the next RA starts Node, which is correct
    }
  };
}
