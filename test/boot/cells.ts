// The boot test's matrix: release × stack × layout, one test per cell. A layout is how the modem
// reaches the box: `two-port` (ens3 the LAN, ens4 the modem's own port) or `vlan` (one port, ens3:
// the LAN untagged, the modem on VLAN 100 through switch.py). A stack is what configures the
// stock box: ifupdown (Debian's server install), NetworkManager, systemd-networkd (image.ts).
// SRCROUTE_BOOT picks cells: a comma list of RELEASE:STACK:LAYOUT, each field a name or `*`
// (`debian-12:nm:vlan,*:ifupdown:*`); unset or empty: every cell. A pattern that names no cell is
// an error, not an empty run (docs/development.md, "The boot test").
export const RELEASES = ['debian-12', 'debian-13'] as const;
export const STACKS = ['ifupdown', 'nm', 'networkd'] as const;
export const LAYOUTS = ['two-port', 'vlan'] as const;
export type BootRelease = (typeof RELEASES)[number];
export type BootStack = (typeof STACKS)[number];
export type Layout = (typeof LAYOUTS)[number];

export interface Cell {
  release: BootRelease;
  stack: BootStack;
  layout: Layout;
  /**
   * The services checks (services.ts): real Docker publishing a port, a hooks.d script through a
   * renumbering, heal, purge keeping the admin's script. Their image has Docker in it (image.ts:
   * a variant of its own, so the other cells' images stay as light as they are).
   */
  services?: true;
}

/** The modem's VLAN in the `vlan` layout (switch.py tags and untags it). */
export const VLAN_ID = 100;

export const cellName = (c: Cell): string => `${c.release}:${c.stack}:${c.layout}`;

/**
 * Every cell, the priority ones first (the one-port VLAN layout on each stack), then the rest.
 * The services checks run on one cell per release, both priority cells where srcroute-dhcpcd@
 * (dhcpcd) leases: its rebind on demand (`dhcpcd -n`) renumbers as NAK then BOUND, the case
 * hooks.d must tell once. NetworkManager on Debian 12, systemd-networkd on Debian 13 (ifupdown's
 * dhclient on Debian 12 has no command that rebinds a running client's lease).
 */
export const ALL_CELLS: readonly Cell[] = (() => {
  const first: Cell[] = [
    { release: 'debian-12', stack: 'nm', layout: 'vlan', services: true },
    { release: 'debian-12', stack: 'ifupdown', layout: 'vlan' },
    { release: 'debian-13', stack: 'networkd', layout: 'vlan', services: true },
  ];
  const rest = RELEASES.flatMap((release) =>
    STACKS.flatMap((stack) => LAYOUTS.map((layout) => ({ release, stack, layout }))),
  ).filter((c) => !first.some((f) => cellName(f) === cellName(c)));
  return [...first, ...rest];
})();

/** The cells SRCROUTE_BOOT selects, in ALL_CELLS's order; throws on a pattern that matches none. */
export function selectCells(selection: string | undefined): Cell[] {
  const patterns = (selection ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (patterns.length === 0) return [...ALL_CELLS];
  const matchers = patterns.map((p) => {
    const fields = p.split(':');
    if (fields.length !== 3) throw new Error(`SRCROUTE_BOOT: "${p}" is not RELEASE:STACK:LAYOUT`);
    const hit = (c: Cell) => [c.release, c.stack, c.layout].every((v, i) => fields[i] === '*' || fields[i] === v);
    if (!ALL_CELLS.some(hit)) {
      throw new Error(`SRCROUTE_BOOT: "${p}" names no cell of ${ALL_CELLS.map(cellName).join(' ')}`);
    }
    return hit;
  });
  return ALL_CELLS.filter((c) => matchers.some((m) => m(c)));
}

/** What a cell's guest looks like to srcroute: the port, the modem's link, the macvlan, install's arguments. */
export interface CellNet {
  /** The port the modem's frames reach: ens4 (two-port) or ens3 (vlan, the LAN's port too). */
  port: string;
  /** The macvlan's parent: the port, or its VLAN ens3.100. */
  modemLink: string;
  iface: string;
  /** More macvlans on the same link, installed by the same command (vlan: a second on VLAN 100). */
  more: string[];
  installArgs: string;
}

export function cellNet(c: Cell): CellNet {
  if (c.layout === 'two-port') {
    return { port: 'ens4', modemLink: 'ens4', iface: 'ens4v0', more: [], installArgs: '--parent ens4 ens4v0' };
  }
  const installArgs = `--parent ens3 --vlan ${VLAN_ID} ens3v0 ens3v1`;
  return { port: 'ens3', modemLink: `ens3.${VLAN_ID}`, iface: 'ens3v0', more: ['ens3v1'], installArgs };
}

/** The stack's own reload, as an admin runs it after editing its configuration. */
export const STACK_RELOAD: Record<BootStack, (iface: string) => string> = {
  ifupdown: () => 'systemctl restart networking',
  nm: (iface) => `nmcli connection reload && nmcli --wait 60 connection up id srcroute-${iface}`,
  networkd: () => 'networkctl reload',
};
