// How the installer's messages name a rerun of it and its undo, by the way it was run: install.sh
// in the unpacked release or the clone, else the srcroute command (the Debian package's included).
// A module of its own: the plans and their checks all say it, and import no plan to do so.
import { InputError } from '../shared/errors.js';

/** How the messages name a rerun of the installer. */
export const rerun = (prog: string): string => (prog === 'install.sh' ? 'sudo ./install.sh' : 'sudo srcroute install');

/** How the messages name the uninstaller. */
export const uninstallCommand = (prog: string): string =>
  prog === 'install.sh' ? 'sudo ./install.sh --uninstall' : 'sudo srcroute uninstall';

/** The one root check of both plans: a run that would write the real /etc must be root's. */
export function refuseNonRoot(f: { uid: number; dry: boolean; staged: boolean }, command: string): void {
  if (f.uid !== 0 && !f.dry && !f.staged) {
    throw new InputError(`must run as root (${command} ...); --dry-run and --root DIR work without`);
  }
}
