// dhcpcd.conf, as srcroute needs it: whichever dhcpcd leases the macvlan (one started by ifup as
// `dhcpcd IFACE`, or Debian's dhcpcd.service in manager mode, `dhcpcd -q -b`, every interface) must
// keep the lease out of the main table, resolv.conf and the hostname; and under dhcpcd.service the
// macvlan's parent must lease nothing: it is on the modem's cable, and dhcpcd.service leased it
// beside the macvlan (issue 12: a second public address and a second default route in main).
// Only per-interface options: dhcpcd 9.4.1 ignores a global `denyinterfaces eth0` written after an
// `interface` block (measured: eth0 was leased), and srcroute's block comes last. `noipv4` and
// `noipv6` in the parent's block keep it bare (measured: no address on eth0).
export interface DhcpcdInterface {
  iface: string;
  /** The macvlan's parent, when dhcpcd.service runs on every interface. */
  bareParent: string | null;
}

export function dhcpcdStanza(ifaces: readonly DhcpcdInterface[]): string {
  const lines = [
    "# srcroute's interfaces: leases only, no default route, DNS or hostname from them.",
    '# (Options after an interface line apply to that interface only: keep this last.)',
  ];
  for (const { iface } of ifaces) lines.push(`interface ${iface}`, '\tnogateway', '\tnoipv4ll', '\tnoipv6', '\tnohook resolv.conf, hostname');
  const parents = [...new Set(ifaces.flatMap((i) => (i.bareParent ? [i.bareParent] : [])))];
  for (const p of parents) lines.push(`# ${p} only carries the macvlans: no address of its own (dhcpcd.service would lease it).`, `interface ${p}`, '\tnoipv4', '\tnoipv6');
  return `${lines.join('\n')}\n`;
}
