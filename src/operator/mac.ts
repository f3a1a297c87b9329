// A stable MAC for a macvlan: the modem pins one public address per MAC and stops answering
// once its quota is used, so a MAC that changes (a random one per boot or per reinstall) burns
// an address each time. Derived from /etc/machine-id and the interface name: the same machine
// and interface always give the same MAC, another interface another one.
import { createHash } from 'node:crypto';
import { InputError } from '../shared/errors.js';
import { readText } from '../shared/files.js';

/**
 * `02:` then five bytes of sha256(machine-id ":" iface). 0x02 is the locally administered,
 * unicast first octet the original guide recommends, so the MAC can never clash with a vendor's.
 */
export function stableMac(machineId: string, iface: string): string {
  const digest = createHash('sha256').update(`${machineId}:${iface}`).digest();
  return [0x02, ...digest.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The machine's id (32 hex digits), or an InputError saying how to create it. */
export function readMachineId(path: string): string {
  const id = readText(path)?.trim() ?? '';
  if (!/^[0-9a-f]{32}$/.test(id)) {
    const why = id === '' ? 'missing or empty' : 'not 32 hex digits';
    throw new InputError(
      `${path} is ${why}: it seeds the stable MAC; create it with systemd-machine-id-setup (or dbus-uuidgen ` +
        `--ensure=${path})`,
    );
  }
  return id;
}
