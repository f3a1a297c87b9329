// The nftables table that gives forwarded connections the mark of the interface they arrived on
// (FORWARD=yes, docs/forwarding.md). A published port (Docker's -p) or a port forward is DNAT: the
// reply leaves the container or LAN host with its private source, the kernel routes it by that
// source through main, and only afterwards (postrouting) is the source rewritten to the leased
// address, on the wrong link. So the connection carries a mark from its first packet on the
// interface, and every packet of its reply direction gets it back in prerouting at priority
// mangle (-150), before DNAT's reverse (-100) and before the routing decision: the `fwmark`
// rules (address-rules.ts) then route it into the interface's table. Reply direction only, as
// openwrt/firewall4 #93 settled: restoring on the original direction too would mark the
// incoming packets themselves, and their rp_filter lookup with src_valid_mark would change. Never
// in output: the box's own answers are routed by their `from ADDR` rule already.
// One constant rule per interface: nftables 1.0.6 (Debian 12) refuses the usual masked restore
// (`meta mark set meta mark and ~M or ct mark and M`: "Right hand side of binary operation must
// be constant"). `iifname` matches by name, so the table loads while the macvlan is absent (at
// boot). The file starts by creating and deleting its table, so `nft -f` replaces it whole and
// atomically, however often it runs. Checked with `nft -c -f` on nftables 1.0.6
// (test/unit/nft-table.test.ts); family inet: IPv4 and IPv6 alike.
import type { Mark } from './rule.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The table's name for `iface` (interface names are A-Z a-z 0-9 _ . -: all allowed in nft names). */
export const nftTableName = (iface: string): string => `srcroute-${iface}`;

/** The nft -f file for `iface` and its mark. */
export function nftTableText(iface: string, mark: Mark): string {
  const name = `inet ${nftTableName(iface)}`;
  const keep = hex(~mark.mask);
  const value = hex(mark.value);
  return [
    `# srcroute: the mark ${value}/${hex(mark.mask)} of connections forwarded from ${iface} (FORWARD=yes)`,
    `table ${name}`,
    `delete table ${name}`,
    `table ${name} {`,
    '\tchain prerouting {',
    '\t\ttype filter hook prerouting priority mangle; policy accept;',
    `\t\tiifname "${iface}" ct state new ct mark set ct mark and ${keep} or ${value}`,
    `\t\tct direction reply ct mark and ${hex(mark.mask)} == ${value} meta mark set meta mark and ${keep} or ${value}`,
    '\t}',
    '}',
    '',
  ].join('\n');
}
