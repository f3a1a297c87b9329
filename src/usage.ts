// `srcroute --help` (and the hook's: srcroute without a command word). Each command's own
// --help is in its module; README.md repeats the essentials.
export const usage = `srcroute: source routing that follows a DHCP lease

Usage:
  srcroute install [--parent ETH] [--stack S] [--root DIR] [--dry-run] IFACE...
                 install the hooks (and with --parent the macvlan and its DHCP
                 client); install.sh runs it
  srcroute status [IFACE] [--json]
                 lease, table, rule, routes, rp_filter and IPv6 of each
                 interface
  srcroute check [IFACE]
                 find what breaks the setup, with the fix for each (exit 1 if
                 any)
  srcroute sync [IFACE] [--dry-run]
                 re-apply from the DHCP client's current lease (all
                 interfaces)
  srcroute uninstall [--purge] [--root DIR] [--dry-run]
                 remove everything install wrote, /etc back as it was
  srcroute heal [IFACE] [--dry-run]
                 put back rules and routes deleted since the last lease event
                 (srcroute-heal.timer runs it every 30 s)
  srcroute mac IFACE
                 the interface's stable MAC (from /etc/machine-id)
  srcroute macvlan IFACE --parent ETH [--stack S]
                 the macvlan's persistent definition for the network stack
  srcroute flush [--dry-run]
                 remove every rule and route srcroute made, in every table
                 (IPv4, IPv6)
  srcroute config --defaults
                 print the commented default /etc/srcroute/srcroute.env
  srcroute COMMAND --help
                 a command's own help, with an example
  srcroute --help | --version
                 this text; srcroute's version
  srcroute [--dry-run]
                 run as a DHCP client hook: the lease is read from the
                 environment (dhcpcd or ISC dhclient variables: reason,
                 interface, new_ip_address, new_subnet_cidr, new_routers, ...;
                 for IPv6 ROUTERADVERT's nd*, new_dhcp6_*, new_ip6_address);
                 --dry-run prints the ip(8) commands instead of running them.
                 Installed as /etc/dhcpcd/IFACE.exit-hook; you do not normally
                 run it by hand.

What it does: while interface IFACE holds lease ADDR with gateway GW, the
kernel holds
  ip rule:     from ADDR lookup TABLE pref PRIORITY proto srcroute
  TABLE:       default via GW dev IFACE, and the lease's subnet dev IFACE
               scope link
and when the lease ends, none of it. For IPv6, per global address A of IFACE
(SLAAC, DHCPv6):
  ip -6 rule:  from A lookup TABLE pref PRIORITY proto srcroute
  TABLE:       default via ROUTER dev IFACE, and the on-link prefixes dev
               IFACE
while a router is known. Rules and routes that srcroute did not make are never
touched.

Example (what dhcpcd would run on a new lease, as a dry run):
  env reason=BOUND interface=eth0v0 new_ip_address=203.0.113.7 \\
      new_subnet_cidr=24 new_routers=203.0.113.1 srcroute --dry-run

Configuration: /etc/srcroute/srcroute.env and /etc/srcroute/IFACE.env (dotenv:
TABLE, PRIORITY, IP, PROTOCOL, IPV6, FORWARD, MARK_MASK, MARK, TIMEOUT; see
\`srcroute config --defaults\` and srcroute.env(5)). SRCROUTE_CONFIG_DIR
overrides the directory.

Exit status: 0 done or nothing to do, 2 invalid input or config (nothing
changed), 1 the system failed (ip missing, failing or timing out), or \`check\`
found a problem.`;
