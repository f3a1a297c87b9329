// `srcroute install --forward`: what FORWARD=yes needs besides the hook's rules (docs/forwarding.md).
// The nftables table depends only on the interface's name and its mark, so it is written here,
// once: /etc/srcroute/nft/IFACE.nft (kernel/nft-table.ts). A systemd template unit loads it at
// boot, After= and PartOf= nftables.service: Debian's nftables.service starts with `flush
// ruleset`, so a file in /etc/nftables.conf's include path or a table loaded before it would be
// wiped; PartOf makes a restart of nftables.service load the table again after it. Without
// systemd (or under --root) the table is loaded now only, and the plan says so. Recorded as
// `forward IFACE`: uninstall disables the unit (its ExecStop deletes the table) and removes both.
import { resolveConfig, GLOBAL_FILE, type Layer } from '../hook/config.js';
import { parseEnvFile } from '../hook/env-file.js';
import { nftTableName, nftTableText } from '../kernel/nft-table.js';
import { InputError } from '../shared/errors.js';
import type { InstallFacts } from './facts.js';
import { CONF_DIR } from './layout.js';
import type { PlanBuilder } from './plan-builder.js';
import { ifaceEnvText, type Table } from './texts.js';

export const NFT_DIR = `${CONF_DIR}/nft`;
export const NFT_UNIT = '/etc/systemd/system/srcroute-nft@.service';
export const nftFile = (iface: string): string => `${NFT_DIR}/${iface}.nft`;
export const nftUnit = (iface: string): string => `srcroute-nft@${iface}.service`;

export const nftUnitText = (
  undo: string,
): string => `# srcroute: loads /etc/srcroute/nft/IFACE.nft, the mark of connections
# forwarded from IFACE (FORWARD=yes); after nftables.service, whose flush ruleset would wipe it.
# ${undo} removes it.
[Unit]
Description=srcroute: mark connections forwarded from %i
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
After=nftables.service
PartOf=nftables.service
Conflicts=shutdown.target
ConditionPathExists=${NFT_DIR}/%i.nft

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ${NFT_DIR}/%i.nft
ExecStop=-/usr/sbin/nft delete table inet srcroute-%i

[Install]
WantedBy=sysinit.target
`;

/** The layers the hook will read for `t`: srcroute.env, and IFACE.env as it is or as this plan writes it. */
function layersOf(b: PlanBuilder, t: Table): Layer[] {
  const layer = (path: string, text: string | undefined): Layer[] =>
    text === undefined ? [] : [{ source: path, values: parseEnvFile(text, path) as Layer['values'] }];
  const env = `${CONF_DIR}/${t.iface}.env`;
  return [
    ...layer(`${CONF_DIR}/${GLOBAL_FILE}`, b.file(`${CONF_DIR}/${GLOBAL_FILE}`)?.content?.toString('utf8')),
    ...layer(env, b.file(env)?.content?.toString('utf8') ?? ifaceEnvText(t, true)),
  ];
}

/** The nft files, the unit and the commands that load them, for each of `tables` (FORWARD=yes). */
export function planForward(b: PlanBuilder, f: InstallFacts, tables: readonly Table[], undo: string): void {
  const registered = new Map([...f.rtTables, ...tables].map((t) => [t.name, t.num] as const));
  b.ensureDir(NFT_DIR);
  const unitChanged = b.own(NFT_UNIT, nftUnitText(undo), 0o644);
  const live = !f.staged && f.systemd;
  if (live && unitChanged) b.run(['systemctl', 'daemon-reload']);
  for (const t of tables) {
    const env = `${CONF_DIR}/${t.iface}.env`;
    const said = b.file(env)?.content?.toString('utf8');
    if (said !== undefined && !said.split('\n').includes('FORWARD=yes')) b.warn(`${env} exists: add FORWARD=yes to it`);
    let mark;
    try {
      mark = resolveConfig(layersOf(b, t), () => registered, () => true).mark;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      b.warn(`${t.iface}: no nft table written: ${e.message}`);
      continue;
    }
    b.list.add(`forward ${t.iface}`);
    const changed = b.own(nftFile(t.iface), nftTableText(t.iface, mark), 0o644);
    if (f.staged || !(changed || unitChanged)) continue;
    if (!f.systemd) {
      b.run(['nft', '-f', nftFile(t.iface)]);
      b.say(`${t.iface}: ${nftTableName(t.iface)} loaded; without systemd, load ${nftFile(t.iface)} at boot yourself`);
      continue;
    }
    b.run(['systemctl', 'enable', nftUnit(t.iface)]);
    b.run(['systemctl', 'restart', nftUnit(t.iface)]);
  }
}

/** Uninstall: each recorded interface's unit stopped and disabled (its table goes), its file, then the unit. */
export function unplanForward(b: PlanBuilder, systemd: boolean, staged: boolean): void {
  const ifaces = b.list.of('forward').map((w) => w[0]!);
  for (const iface of ifaces) {
    if (systemd && !staged) b.run(['systemctl', 'disable', '--now', nftUnit(iface)]);
    b.remove(nftFile(iface));
  }
  if (ifaces.length > 0) b.remove(NFT_UNIT);
}
