// Paragraphs that several operator commands' `--help` texts share.

export const INTERFACES = `Without IFACE: every configured interface (those with
/etc/srcroute/IFACE.env or /etc/dhcpcd/IFACE.exit-hook).`;

export const LEASE = `The lease is read the way the DHCP client reports it: \`dhcpcd -4 -U IFACE\`
when a dhcpcd runs for IFACE alone; dhcpcd's lease file
/var/lib/dhcpcd/IFACE.lease when a manager-mode dhcpcd runs (dhcpcd 9.4.1
cannot answer -U there); else the last unexpired lease in
/var/lib/dhcp/dhclient.IFACE.leases. dhcpcd is only asked when its control
socket exists, so srcroute never starts one.`;
