// `srcroute --help`. Kept beside the code it describes; README.md repeats the essentials.
export const usage = `srcroute: source routing that follows a DHCP lease

Usage:
  srcroute                 run as a DHCP client hook: the lease is read from the environment
                           (dhcpcd or ISC dhclient variables: reason, interface, new_ip_address,
                           new_subnet_cidr, new_routers, ...). Installed by install.sh as
                           /etc/dhcpcd/IFACE.exit-hook; you do not normally run it by hand.
  srcroute --dry-run       the same, but print the ip(8) commands instead of running them
  srcroute flush [--dry-run]
                           remove every rule and route srcroute made, in every table
  srcroute config --defaults
                           print the commented default /etc/srcroute/srcroute.env
  srcroute sync [IFACE] [--dry-run]
                           re-apply from the DHCP client's current lease (all interfaces)
  srcroute status [IFACE] [--json]
                           lease, table, rule, routes and rp_filter of each interface
  srcroute check [IFACE]   find what breaks the setup, with the fix for each (exit 1 if any)
  srcroute mac IFACE       the interface's stable MAC (from /etc/machine-id)
  srcroute macvlan IFACE --parent ETH [--stack networkd|ifupdown|nm] [--write [--force]]
                           the macvlan's persistent definition for the network stack
  srcroute COMMAND --help  a command's own help, with an example
  srcroute --help | --version

What it does: while interface IFACE holds lease ADDR with gateway GW, the kernel holds
  ip rule:   from ADDR lookup TABLE pref PRIORITY proto srcroute
  TABLE:     default via GW dev IFACE   and the lease's subnet dev IFACE scope link
and when the lease ends, none of it. Rules and routes that srcroute did not make are
never touched.

Example (what dhcpcd would run on a new lease, as a dry run):
  env reason=BOUND interface=eth0v0 new_ip_address=203.0.113.7 new_subnet_cidr=24 \\
      new_routers=203.0.113.1 srcroute --dry-run

Configuration: /etc/srcroute/srcroute.env and /etc/srcroute/IFACE.env (dotenv: TABLE,
PRIORITY, IP, PROTOCOL, TIMEOUT; see \`srcroute config --defaults\`). SRCROUTE_CONFIG_DIR
overrides the directory.

Exit status: 0 done or nothing to do, 2 invalid input or config (nothing changed),
1 the system failed (ip missing, failing or timing out), or \`check\` found a problem.`;

const INTERFACES = `Without IFACE: every configured interface
(those with /etc/srcroute/IFACE.env or /etc/dhcpcd/IFACE.exit-hook).`;

const LEASE = `The lease is read the way the DHCP client reports it: \`dhcpcd -4 -U IFACE\` when a dhcpcd
runs for IFACE alone; dhcpcd's lease file /var/lib/dhcpcd/IFACE.lease when a manager-mode
dhcpcd runs (dhcpcd 9.4.1 cannot answer -U there); else the last unexpired lease in
/var/lib/dhcp/dhclient.IFACE.leases. dhcpcd is only asked when its control socket exists,
so srcroute never starts one.`;

/** \`srcroute COMMAND --help\`. */
export const commandHelp: Record<string, string> = {
  flush: `Usage: srcroute flush [--dry-run]

Remove every rule and route that carries srcroute's protocol number, in every table, for
every interface. Rules and routes srcroute did not make stay. The uninstaller runs it.

Example:
  srcroute flush --dry-run      # show the ip commands, change nothing`,

  config: `Usage: srcroute config --defaults

Print the commented default /etc/srcroute/srcroute.env: every key, its default, what it does.

Example:
  srcroute config --defaults > /etc/srcroute/srcroute.env`,

  sync: `Usage: srcroute sync [IFACE] [--dry-run]

Re-apply from the DHCP client's current lease, exactly as the hook does on BOUND: after a
manual \`ip rule flush\` or \`srcroute flush\`, or at boot when dhcpcd got its lease before
srcroute was installed. Without a current lease it removes what srcroute set up (as on STOP).
${INTERFACES}

${LEASE}

Example:
  srcroute sync eth0v0 --dry-run   # the ip commands it would run
  srcroute sync                    # every configured interface`,

  status: `Usage: srcroute status [IFACE] [--json]

For each interface: the lease (address/prefix and gateway, as the DHCP client reports it),
the table, the source rule (present, missing, duplicated, stale), the table's default and
connected routes (ok, missing, wrong, stale) and the effective rp_filter (off, strict, loose).
"-" means nothing is expected and nothing is there.
${INTERFACES}
--json prints the same as JSON for scripts.

${LEASE}

Example:
  srcroute status
  IFACE   LEASE           GATEWAY     TABLE      RULE     DEFAULT  CONNECTED  RP_FILTER
  eth0v0  100.64.0.56/24  100.64.0.1  pub (123)  present  ok       ok         loose`,

  check: `Usage: srcroute check [IFACE]

Look for what breaks this setup and print each problem with the command that fixes it:
a table name that is not registered; the per-interface hook missing, not executable, not
root's, or naming a node that no longer exists; /etc/dhcpcd.exit-hook without srcroute's
block; dhcpcd.conf without \`nogateway\` for the macvlan; strict rp_filter; two interfaces
sharing a table; rules left by the original shell hook; a rule or route that does not match
the lease; systemd-networkd's ManageForeignRoutingPolicyRules.
${INTERFACES}
Exit status 0 when nothing is wrong, 1 when something is.

Example:
  srcroute check || echo 'fix the above, then run srcroute check again'`,

  mac: `Usage: srcroute mac IFACE

Print a stable, locally administered unicast MAC for IFACE: 02: followed by five bytes of
sha256(machine-id ":" IFACE). The same machine and interface always give the same MAC (also
after a reinstall), another interface another one. The modem pins one public address per
MAC; a new MAC every boot would use up its quota.

Example:
  ip link add link eth0 name eth0v0 address "$(srcroute mac eth0v0)" type macvlan mode private`,

  macvlan: `Usage: srcroute macvlan IFACE --parent ETH [--stack networkd|ifupdown|nm] [--write [--force]]

Print the persistent definition of macvlan IFACE on ETH (mode private, with the stable MAC
of \`srcroute mac IFACE\`) for the system's network stack, detected unless --stack is given:
  networkd   /etc/systemd/network/IFACE.netdev and IFACE.network (DHCP=no: dhcpcd leases the
             address), and a networkd.conf drop-in so networkd keeps srcroute's rules; the
             parent's .network needs MACVLAN=IFACE (printed, not edited)
  ifupdown   /etc/network/interfaces.d/IFACE (auto, inet manual, pre-up ip link add …)
  nm         the nmcli command (NetworkManager keeps its own store; --write refuses)
--write installs the files (atomically); a file that exists with other content is left
alone unless --force.

Example:
  srcroute macvlan eth0v0 --parent eth0                # look first
  srcroute macvlan eth0v0 --parent eth0 --write && networkctl reload`,
};
