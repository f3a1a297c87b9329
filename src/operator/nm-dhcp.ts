// NetworkManager leasing a macvlan itself, beside (or instead of) the dhcpcd srcroute follows:
// NM 1.42.4 sends its dispatcher no event on a renewal, not even when the address changes, so
// nothing follows that lease; next to dhcpcd the modem hands out a second public address (issue
// 12's walk-through). NM's internal DHCP client runs inside NetworkManager, so there is no
// process to see: NM is asked, and only when it runs (nmcli starts no daemon).
import type { ProgramRunner } from '../kernel/program.js';
import type { Proc } from './running.js';

export interface NmLease {
  iface: string;
  /** The connection NetworkManager leases it for. */
  connection: string;
}

/** `nmcli -t -f GENERAL.CONNECTION,DHCP4 device show IFACE`: the connection, and whether NM holds a DHCPv4 lease. */
export function parseNmDevice(text: string): { connection: string | null; dhcp4: boolean } {
  const connection = /^GENERAL\.CONNECTION:(.*)$/m.exec(text)?.[1]?.trim() || null;
  return { connection: connection === '--' ? null : connection, dhcp4: /^DHCP4\.OPTION\[\d+\]:/m.test(text) };
}

export async function nmLeases(
  run: ProgramRunner,
  processes: readonly Proc[],
  ifaces: readonly string[],
): Promise<NmLease[]> {
  if (!processes.some((p) => p.comm === 'NetworkManager')) return [];
  const out: NmLease[] = [];
  for (const iface of ifaces) {
    const r = await run(['nmcli', '-t', '-f', 'GENERAL.CONNECTION,DHCP4', 'device', 'show', iface], 10_000);
    const seen = r.code === 0 ? parseNmDevice(r.stdout) : null;
    if (seen?.dhcp4) out.push({ iface, connection: seen.connection ?? iface });
  }
  return out;
}
