// Configuration: dotenv files that are parsed, never executed. /etc/srcroute/srcroute.env holds
// the defaults for every interface, /etc/srcroute/IFACE.env overrides them for one. The files
// decide what root runs (IP=), so one that someone other than root could have written is refused.
import { lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { InputError, shown, systemCallError } from '../shared/errors.js';
import { RESERVED_TABLES } from '../kernel/tables.js';
import { parseEnvFile } from './env-file.js';
import { BLOCK_SIZE, OFFSET } from './address-rules.js';
import type { Mark } from '../kernel/rule.js';

export interface Config {
  /** Routing table number and how the admin calls it (for messages). */
  table: number;
  tableName: string;
  priority: number;
  ip: string;
  protocol: number;
  timeoutMs: number;
  /** Follow the *6 events (IPv6) too. */
  ipv6: boolean;
  /** Route the replies of connections forwarded from the interface (DNAT) by their connection mark. */
  forward: boolean;
  /** The interface's connection mark (docs/forwarding.md), known even while FORWARD=no: its leftovers go. */
  mark: Mark;
}

export const GLOBAL_FILE = 'srcroute.env';
export const IP_CANDIDATES = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'];
/** `pub` is the table of the original setup; when no rt_tables file names it, it means 123. */
export const DEFAULT_TABLE = { name: 'pub', number: 123 };
/** The protocol number srcroute stamps on its rules and routes unless PROTOCOL says another. */
export const DEFAULT_PROTOCOL = 213;

/** Every key, its default as written in the file, and the comment the installed file carries. */
export const KEYS = {
  TABLE: {
    default: DEFAULT_TABLE.name,
    help: [
      'Routing table for this interface\'s source rule and routes: a name registered in',
      '/etc/iproute2/rt_tables or rt_tables.d/*.conf, or a number (1-4294967295).',
      'main, local, default and unspec (254, 255, 253, 0) are refused. Give every interface',
      `its own table (set TABLE= in /etc/srcroute/IFACE.env). "pub" means ${DEFAULT_TABLE.number} when unregistered.`,
    ],
  },
  PRIORITY: {
    default: '1000',
    help: [
      `Preference of the \`from ADDR\` rule (${BLOCK_SIZE}-32765): lower is consulted first. The rules that`,
      `keep local networks local take the ${OFFSET.subnet} preferences just before it, FORWARD's rules the`,
      `${OFFSET.markLocal - OFFSET.subnet} before those. It must come before the main table's rule (32766)`,
      'and before any other program\'s rules for the address.',
    ],
  },
  IP: {
    default: '',
    help: ['Absolute path of the ip(8) binary. Empty: the first of /usr/sbin/ip, /sbin/ip,', '/usr/bin/ip, /bin/ip.'],
  },
  PROTOCOL: {
    default: String(DEFAULT_PROTOCOL),
    help: [
      'Protocol number (5-255) stamped on every rule and route srcroute creates, so it removes',
      'only its own. Only read from srcroute.env. The installer names it in',
      '/etc/iproute2/rt_protos.d/srcroute.conf, so `ip rule` shows "proto srcroute".',
    ],
  },
  IPV6: {
    default: 'yes',
    help: [
      'yes: route the interface\'s IPv6 addresses (SLAAC and DHCPv6) by source too, into the same',
      'table at the same priority, whenever the DHCP client reports IPv6 (no: leave IPv6 alone).',
    ],
  },
  FORWARD: {
    default: 'no',
    help: [
      'yes: connections that arrive on this interface and are forwarded (Docker\'s -p, a port',
      'forward to a LAN host) answer through it too: they carry the interface\'s mark (MARK),',
      'set by /etc/srcroute/nft/IFACE.nft, and `fwmark MARK` rules send their replies into the',
      'table. Set it with `srcroute install --forward IFACE` (it installs the nftables table).',
    ],
  },
  MARK_MASK: {
    default: '0xff000000',
    help: [
      'The bits of the packet and connection mark srcroute uses for FORWARD (one mask for all',
      'interfaces; only read from srcroute.env). Other programs use 0x0000ffff (wg-quick),',
      '0x00ff0000 (tailscale, pbr), 0x3f00 (mwan3), 0x4000 and 0x8000 (kube-proxy).',
    ],
  },
  MARK: {
    default: '',
    help: [
      'This interface\'s mark within MARK_MASK. Empty: the table number in the mask\'s bits',
      '(table 123, mask 0xff000000: 0x7b000000). Give each forwarding interface its own.',
    ],
  },
  TIMEOUT: {
    default: '5',
    help: [
      'Seconds (1-10) that srcroute may wait for ip(8) (once more if srcroute itself got no CPU',
      'for half of it), and again for another srcroute run on the same table. dhcpcd waits for',
      'its hooks, so this bounds how long DHCP can stall.',
    ],
  },
} as const satisfies Record<string, { default: string; help: readonly string[] }>;

type Key = keyof typeof KEYS;
/** One config file's settings, with where they came from for error messages. */
export interface Layer {
  source: string;
  values: Partial<Record<Key, string>>;
}

/** The commented default srcroute.env (`srcroute config --defaults`). */
export function defaultConfigText(): string {
  const out = [
    '# srcroute configuration (dotenv syntax: KEY=value; parsed, never executed).',
    '# This file holds the defaults for every interface; /etc/srcroute/IFACE.env overrides them',
    '# for one interface. Files must be owned by root and writable by nobody else.',
  ];
  for (const [key, { default: value, help }] of Object.entries(KEYS)) {
    out.push('', ...help.map((line) => `# ${line}`), `#${key}=${value}`);
  }
  return `${out.join('\n')}\n`;
}

function isSymlink(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
}

/** Refuse a config file or directory that anybody but root (or the caller) could have written. */
function trustworthy(path: string, stat: Stats, uid: number): void {
  if (stat.uid !== 0 && stat.uid !== uid)
    throw new InputError(`refusing config ${path}: owned by uid ${stat.uid}, not root`);
  if ((stat.mode & 0o022) !== 0) {
    throw new InputError(
      `refusing config ${path}: writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod go-w`,
    );
  }
}

/** Read a dotenv file, refusing one that anybody but root (or the caller) could have written. */
export function readLayer(path: string, uid: number): Layer | null {
  let stat;
  try {
    // Absent (the usual IFACE.env) is no exception: building one costs the jitless hook ~0.1 ms.
    stat = statSync(path, { throwIfNoEntry: false }) ?? (isSymlink(path) ? statSync(path) : undefined);
  } catch (e) {
    throw new InputError(`cannot read config ${path}: ${systemCallError(e).message}`);
  }
  // Absent means "use the defaults"; a symlink to nowhere is a config the admin meant to be read.
  if (stat === undefined) return null;
  if (!stat.isFile()) throw new InputError(`config ${path} is not a regular file`);
  trustworthy(path, stat, uid);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read config ${path}: ${systemCallError(e).message}`);
  }
  const values = parseEnvFile(text, path);
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(KEYS, key))
      throw new InputError(`unknown key ${shown(key)} in ${path} (known: ${Object.keys(KEYS).join(', ')})`);
  }
  return { source: path, values: values as Layer['values'] };
}

/** The global file and, when `iface` is given, its override file; absent files are skipped. */
export function readLayers(dir: string, iface: string | null, uid: number): Layer[] {
  // Whoever can write the directory can swap a file for a link to another root-owned file.
  let dirStat: Stats | null = null;
  try {
    dirStat = statSync(dir);
  } catch {
    // no directory: no files, the defaults (and readLayer reports a directory it cannot read)
  }
  if (dirStat?.isDirectory()) trustworthy(dir, dirStat, uid);
  const global = readLayer(join(dir, GLOBAL_FILE), uid);
  // An interface named "srcroute" would otherwise read the global file as its own overrides.
  const own = iface === null || `${iface}.env` === GLOBAL_FILE ? null : readLayer(join(dir, `${iface}.env`), uid);
  if (own?.values.PROTOCOL !== undefined) {
    throw new InputError(
      `PROTOCOL in ${own.source}: it marks what srcroute owns on the whole machine; set it in ${GLOBAL_FILE}`,
    );
  }
  if (own?.values.MARK_MASK !== undefined) {
    const why = 'every interface\'s mark lives under one mask';
    throw new InputError(`MARK_MASK in ${own.source}: ${why}; set it in ${GLOBAL_FILE}`);
  }
  return [global, own].filter((l): l is Layer => l !== null);
}

function integer(text: string, min: number, max: number): number | null {
  return /^[0-9]{1,10}$/.test(text) && Number(text) >= min && Number(text) <= max ? Number(text) : null;
}

/**
 * Merge layers (later wins) into a config. Pure but for `tables` and `exists`, handed in:
 * the registered table names, and a check that a path is an executable file.
 */
export function resolveConfig(
  layers: readonly Layer[],
  tables: () => ReadonlyMap<string, number>,
  exists: (path: string) => boolean,
): Config {
  const pick = (key: Key): { value: string; source: string } => {
    const layer = [...layers].reverse().find((l) => l.values[key] !== undefined);
    return layer
      ? { value: layer.values[key]!, source: layer.source }
      : { value: KEYS[key].default, source: 'the default' };
  };
  const bad = (key: Key, p: { value: string; source: string }, why: string): never => {
    throw new InputError(`invalid ${key} ${shown(p.value)} in ${p.source}: ${why}`);
  };

  const t = pick('TABLE');
  const table = resolveTable(t.value, t.source === 'the default', tables) ?? bad('TABLE', t, tableProblem(t.value));
  const p = pick('PRIORITY');
  const priority =
    integer(p.value, BLOCK_SIZE, 32765) ??
    bad(
      'PRIORITY',
      p,
      `not an integer ${BLOCK_SIZE}-32765 (srcroute's rules take the ${BLOCK_SIZE - 1} preferences before it)`,
    );
  const pr = pick('PROTOCOL');
  const protocol = integer(pr.value, 5, 255) ?? bad('PROTOCOL', pr, 'not an integer 5-255');
  const to = pick('TIMEOUT');
  const timeout = integer(to.value, 1, 10) ?? bad('TIMEOUT', to, 'not a whole number of seconds 1-10');
  const v6 = pick('IPV6');
  if (v6.value !== 'yes' && v6.value !== 'no') bad('IPV6', v6, 'not yes or no');
  const fw = pick('FORWARD');
  if (fw.value !== 'yes' && fw.value !== 'no') bad('FORWARD', fw, 'not yes or no');
  const mm = pick('MARK_MASK');
  const mask = maskOf(mm.value) ?? bad('MARK_MASK', mm, 'not one run of set bits, in hex (0xff000000)');
  const m = pick('MARK');
  const mark = markOf(m.value, mask, table) ?? bad('MARK', m, markProblem(m.value, mask, table));
  const i = pick('IP');
  let ip: string;
  if (i.value === '') {
    ip = IP_CANDIDATES.find(exists) ?? IP_CANDIDATES[0]!;
  } else {
    if (!/^\/[A-Za-z0-9_./-]+$/.test(i.value) || i.value.includes('/../')) bad('IP', i, 'not an absolute path');
    ip = i.value;
  }
  const ipv6 = v6.value === 'yes';
  const forward = fw.value === 'yes';
  const timeoutMs = timeout * 1000;
  return { table, tableName: t.value, priority, ip, protocol, timeoutMs, ipv6, forward, mark: { value: mark, mask } };
}

const hexNumber = (text: string): number | null => (/^0x[0-9a-fA-F]{1,8}$/.test(text) ? Number(text) : null);
const lowestBit = (mask: number): number => Math.log2(mask & -mask);

/** A mask of one run of set bits (so that a table number fits into it). */
function maskOf(text: string): number | null {
  const mask = hexNumber(text);
  if (mask === null || mask === 0) return null;
  const run = mask >>> lowestBit(mask);
  return (run & (run + 1)) === 0 ? mask : null;
}

/** The interface's mark: MARK, or the table number's low bits in the mask's place; never 0 (no mark). */
function markOf(text: string, mask: number, table: number): number | null {
  const value = text === '' ? ((table << lowestBit(mask)) & mask) >>> 0 : hexNumber(text);
  return value !== null && value !== 0 && (value & ~mask) === 0 ? value : null;
}

function markProblem(text: string, mask: number, table: number): string {
  const inMask = `within MARK_MASK 0x${mask.toString(16)}`;
  if (text === '') return `table ${table} leaves no bit set ${inMask}: set MARK (hex, nonzero)`;
  return `not a nonzero hex mark ${inMask}`;
}

function resolveTable(value: string, isDefault: boolean, tables: () => ReadonlyMap<string, number>): number | null {
  if (RESERVED_TABLES.has(value)) return null;
  if (/^[0-9]{1,10}$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= 0xffffffff && ![...RESERVED_TABLES.values()].includes(n) ? n : null;
  }
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(value)) return null;
  const n = tables().get(value) ?? (isDefault ? DEFAULT_TABLE.number : undefined);
  return n === undefined || [...RESERVED_TABLES.values()].includes(n) ? null : n;
}

function tableProblem(value: string): string {
  if (RESERVED_TABLES.has(value) || [...RESERVED_TABLES.values()].map(String).includes(value))
    return 'a system table; srcroute needs a table of its own';
  if (/^[0-9]+$/.test(value)) return 'not a table number 1-4294967295';
  return 'not a table number, nor a name registered in /etc/iproute2/rt_tables or rt_tables.d/*.conf';
}
