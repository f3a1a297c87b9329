// Which interfaces srcroute looks after: those with their own /etc/srcroute/IFACE.env or an
// installed /etc/dhcpcd/IFACE.exit-hook (srcroute install writes both). `sync`, `status` and
// `check` without an interface name go through all of them, and judge no other: asked about the
// LAN's port, check once offered to delete the LAN's default route and sync the rules of another
// interface's address.
import { GLOBAL_FILE } from '../hook/config.js';
import { checkInterface, isInterfaceName } from '../hook/event.js';
import { InputError } from '../shared/errors.js';
import { listDir } from '../shared/files.js';

export function configuredInterfaces(configDir: string, dhcpcdHooks: string): string[] {
  const names = [
    ...listDir(configDir).filter((f) => f.endsWith('.env') && f !== GLOBAL_FILE).map((f) => f.slice(0, -'.env'.length)),
    ...listDir(dhcpcdHooks).filter((f) => f.endsWith('.exit-hook')).map((f) => f.slice(0, -'.exit-hook'.length)),
  ];
  return [...new Set(names)].filter(isInterfaceName).sort();
}

/** `name` when srcroute looks after it; else one line (InputError) that says why and what sets it up. */
export function managedInterface(name: string, configDir: string, dhcpcdHooks: string): string {
  checkInterface(name);
  if (configuredInterfaces(configDir, dhcpcdHooks).includes(name)) return name;
  throw new InputError(
    `srcroute does not manage ${name}: no ${configDir}/${name}.env and no ${dhcpcdHooks}/${name}.exit-hook` +
      ` (srcroute install --parent PORT ${name} sets one up; srcroute status lists those it manages)`,
  );
}
