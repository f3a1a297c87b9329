// Which links are the box's LAN, that install must never take as the modem's link (issue: a
// parent that was the LAN port got `interface eth0 / noipv4 / noipv6` in dhcpcd.conf under
// --stack dhcpcd, and the LAN lost its lease; ifupdown's stanza wrote 0 to its accept_ra). The LAN
// is what carries main's lowest-metric default in either family, the link the admin's SSH
// session came in on, and every port of such a bridge or bond (its `master`). A port of its own
// that merely holds a lease (Debian's dhcpcd.service leases every interface) is not the LAN as
// long as its default is not main's first. Pure: install's gather.ts reads `ip -j` for it, check
// asks it of the kernel it read (diagnose.ts: no fix may remove a default through the LAN).

export interface LanLink {
  name: string;
  /** The bridge or bond it is a port of. */
  master?: string;
  /** Its addresses (ip -j addr: addr_info[].local). */
  addrs: readonly string[];
}

export interface DefaultRoute {
  family: 4 | 6;
  dev: string;
  metric: number;
}

export interface LanInput {
  links: readonly LanLink[];
  /** main's default routes (ip -j route show table main default; -6 too). */
  defaults: readonly DefaultRoute[];
  /** SSH_CONNECTION of whoever runs install ("client port server port"), if any. */
  ssh: string | undefined;
}

/** The link that owns the SSH session's local address (a link-local one names it: fe80::1%eth0). */
function sshLink(input: LanInput): { link: string; addr: string } | null {
  const local = input.ssh?.trim().split(/\s+/)[2];
  if (local === undefined) return null;
  const [addr, zone] = local.replace(/^::ffff:(?=\d+\.)/, '').split('%') as [string, string | undefined];
  const owner = zone ?? input.links.find((l) => l.name !== 'lo' && l.addrs.includes(addr))?.name;
  return owner === undefined ? null : { link: owner, addr };
}

/** Each LAN link, with why it is the LAN (for the refusal's one line). */
export function lanLinks(input: LanInput): Map<string, string> {
  const lan = new Map<string, string>();
  for (const family of [4, 6] as const) {
    const first = input.defaults.filter((r) => r.family === family).sort((a, b) => a.metric - b.metric)[0];
    if (first === undefined || lan.has(first.dev)) continue;
    lan.set(first.dev, `${first.dev} carries main's default route (IPv${family}, metric ${first.metric})`);
  }
  const ssh = sshLink(input);
  if (ssh !== null && !lan.has(ssh.link)) lan.set(ssh.link, `your SSH session comes in on ${ssh.link} (${ssh.addr})`);
  for (const l of input.links) {
    const why = l.master === undefined ? undefined : lan.get(l.master);
    if (why !== undefined && !lan.has(l.name)) lan.set(l.name, `${l.name} is a port of ${l.master}, and ${why}`);
  }
  return lan;
}
