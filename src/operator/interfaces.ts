// Which interfaces srcroute looks after: those with their own /etc/srcroute/IFACE.env or an
// installed /etc/dhcpcd/IFACE.exit-hook (install.sh writes both). `sync`, `status` and `check`
// without an interface name go through all of them.
import { GLOBAL_FILE } from '../hook/config.js';
import { isInterfaceName } from '../hook/event.js';
import { listDir } from '../shared/files.js';

export function configuredInterfaces(configDir: string, dhcpcdHooks: string): string[] {
  const names = [
    ...listDir(configDir).filter((f) => f.endsWith('.env') && f !== GLOBAL_FILE).map((f) => f.slice(0, -'.env'.length)),
    ...listDir(dhcpcdHooks).filter((f) => f.endsWith('.exit-hook')).map((f) => f.slice(0, -'.exit-hook'.length)),
  ];
  return [...new Set(names)].filter(isInterfaceName).sort();
}
