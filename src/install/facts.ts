// What the installer's plans are computed from: the files as they are (a Tree of the paths the
// plan looks at), the installed list, what runs, the bundles. gather.ts reads them from the
// machine; golden tests write them down.
import type { ServiceFacts } from '../operator/dhcpcd-service.js';
import type { StackPlan, VlanSpec } from '../operator/stacks/plan.js';
import type { HookTexts } from './texts.js';

export interface FileFact {
  kind: 'file' | 'dir' | 'link' | 'other';
  mode: number;
  uid: number;
  gid: number;
  /** A file's bytes (a link's target's); null when it cannot be read. */
  content: Buffer | null;
}

/** The paths the plan looks at, by final path; a path not in it does not exist. */
export type Tree = ReadonlyMap<string, FileFact>;

/** A number and name iproute2 registers (rt_tables, rt_protos), and the file that does. */
export interface Registered {
  num: number;
  name: string;
  file: string;
}

export interface Common {
  /** The name the messages use: install.sh, or srcroute install. */
  prog: string;
  /** --root DIR: stage the files, run nothing, touch no kernel. */
  staged: boolean;
  dry: boolean;
  /** Who runs the installer: new files are root's when it is root, else this user's. */
  uid: number;
  gid: number;
  list: string;
  tree: Tree;
  /** systemd runs (systemctl daemon-reload has someone to talk to). */
  systemd: boolean;
}

/** The modem's link (the macvlan's parent) as it is before install sets it up. */
export interface ParentLink {
  /** Administratively up (`ip link` flag UP). */
  up: boolean;
  /** /proc/sys/net/ipv6/conf/ETH/accept_ra, or null without IPv6. */
  acceptRa: string | null;
  /** /proc/sys/net/ipv6/conf/ETH/disable_ipv6 (install turns IPv6 off on the modem's link), or null. */
  disableIpv6?: string | null;
}

export interface StackSetup {
  /** The macvlan's parent: the port of its own, or the VLAN `vlan` names. */
  parent: string;
  /** --vlan: the modem's VLAN the stack makes on the LAN's port. */
  vlan?: VlanSpec;
  /** Given now (--parent), not only recorded by an earlier install: checked (install-plan.ts). */
  asked?: boolean;
  plan: StackPlan;
  /** The parent as it is now; null when not looked at (--root) or not there. */
  parentLink: ParentLink | null;
}

export interface InstallFacts extends Common {
  /** The interfaces named, in order (none: the ones installed). */
  ifaces: readonly string[];
  configureDhcpcd: boolean;
  /** --forward: FORWARD=yes and the nft table (forward-plan.ts). */
  forward: boolean;
  /** Install the srcroute command as /usr/local/sbin/srcroute (false: a package provides it). */
  command: boolean;
  /** Run from the Debian package (its files say how to undo them in its words: texts.ts undoOf). */
  packaged: boolean;
  /** The node the launchers name, and where that path really leads. */
  node: string;
  nodeReal: string;
  /** `env -S "NODE --jitless --no-expose-wasm -e 0"` runs. */
  envSplitWorks: boolean;
  /** `env -S NODE …` was killed at its time limit (a loaded machine): no verdict on coreutils. */
  envSplitTimedOut?: boolean;
  /** What `NODE -p process.versions.node` says (`18.19.0`), or null when it said nothing usable. */
  nodeVersion: string | null;
  bundles: { command: string; hook: string };
  hooks: HookTexts;
  /** Debian's dhcpcd.service as systemd would load it, or null. */
  service: ServiceFacts | null;
  rtTables: readonly Registered[];
  rtProtos: readonly Registered[];
  /** Per interface that has a network stack set up (--parent now, or recorded): its plan. */
  stacks: ReadonlyMap<string, StackSetup>;
  /** The links that exist (null: not looked at, as under --root) and each interface's stable MAC. */
  links: ReadonlySet<string> | null;
  /** The LAN's links, each with why (lan.ts); null when not looked at. */
  lan?: ReadonlyMap<string, string> | null;
  macs: ReadonlyMap<string, string>;
}

export interface UninstallFacts extends Common {
  purge: boolean;
}
