// `srcroute check`, the judging part: facts in, findings out, each with what is wrong and the
// exact command that fixes it. Pure, so every finding is tested from plain data.
import { NETWORKD_DROP_IN, type NetworkdFacts } from './networkd.js';
import { hasNogateway } from './dhcpcd-conf.js';
import { describeClient, fighting, type DhcpClient } from './dhcp-clients.js';
import { DISPATCHER_MARKER, type Facts, type InterfaceFacts } from './facts.js';
import { hiddenHome, LOCK_DIR, SERVICE } from './dhcpcd-service.js';
import {
  ANY, MAIN_TABLE, protocolName, RA_DEFRTR_METRIC, RTPROT_RA, type Family, type MetricRoute,
} from '../kernel/kernel.js';
import { ruleWords, type SeenRule } from '../kernel/rule.js';
import { commandOf } from '../hook/apply.js';
import type { Part, PartState, PlannedChange } from '../hook/plan.js';
import { hostOrPrefix } from '../shared/prefix.js';
import type { FamilyState } from './judge.js';
import { decidingRule, type PolicyRule } from './policy.js';
import { lanLinks } from './lan.js';
import { BLOCK_SIZE, OFFSET } from '../hook/address-rules.js';
import { forwardFindings } from './forward-check.js';
import { DEFAULT_TABLE } from '../hook/config.js';
import { routedAsMeant, type RouteCheck } from './route-probe.js';
import { unitName } from './stacks/dhcpcd-unit.js';
import type { Finding } from './finding.js';

export type { Finding } from './finding.js';


/** A per-interface sysctl key; with a dot in the name only the slash form is unambiguous. */
const sysctlKey = (iface: string, key = 'rp_filter', family = 'ipv4'): string =>
  iface.includes('.') ? `net/${family}/conf/${iface}/${key}` : `net.${family}.conf.${iface}.${key}`;
/**
 * The installer as this box has it: the package's command, else install.sh where the release was unpacked (or the
 * clone).
 */
const installCommand = (facts: Facts, args: string): string =>
  facts.packaged ? `sudo srcroute install ${args}` : `sudo ./install.sh ${args}`;
const install = (facts: Facts, args: string, note?: string): string => {
  const where = facts.packaged ? '' : "   # in srcroute's directory (the unpacked release, or the clone)";
  return `${installCommand(facts, args)}${note !== undefined ? `   # ${note}` : where}`;
};
/** Re-running the installer restores every file it owns. */
const reinstall = (facts: Facts, iface: string): string => install(facts, iface);
/**
 * How to get IFACE's client to lease again, never by starting a dhcpcd by accident (a dhcpcd
 * control command that finds no daemon starts one). A link install set up and that is gone (`nmcli
 * connection down`, `ip link del`): install again, which reads the parent from its list and runs
 * every start command of the stack when the link is missing (install-plan.ts); a parent to type
 * in would be wrong on the one-port box (--parent PORT --vlan VID). Else the box's own way when
 * known (ifupdown's stanza), a rebind when a dhcpcd runs for it, srcroute-dhcpcd@ where the
 * NetworkManager dispatcher or networkd's setup starts it, else the installer, which sets a
 * client up for good.
 */
function restartClient(f: InterfaceFacts, facts: Facts): string {
  const iface = f.state.iface;
  if (!f.exists && f.stack !== null) return install(facts, iface, `makes ${iface} again the way install set it up`);
  if (f.clientStart !== null) return f.clientStart;
  if (runningDhcpcd(f)) return `dhcpcd -n ${iface}   # the running dhcpcd rebinds it`;
  if (f.stack === 'nm' || f.stack === 'networkd') return `systemctl restart '${unitName(iface)}'`;
  return install(facts, `--parent PARENT ${iface}`, "PARENT: the modem's interface");
}
const runningDhcpcd = (f: InterfaceFacts): boolean => f.clients.some((c) => c.program === 'dhcpcd');
/**
 * dhcpcd.conf's `nogateway` for IFACE: the installer's own block (the one it writes and
 * --uninstall removes), then a rebind only when a dhcpcd runs for it (`dhcpcd -n` would start one
 * otherwise). For IPv4's default route and for the RA default in IPv6 alike.
 */
const nogatewayFix = (f: InterfaceFacts, facts: Facts): string[] => [
  install(facts, `--configure-dhcpcd ${f.state.iface}`),
  ...(runningDhcpcd(f) ? [`dhcpcd -n ${f.state.iface}   # the running dhcpcd rereads dhcpcd.conf`] : []),
];
const ruleDel = (r: SeenRule): string => `ip rule del ${ruleWords(r).join(' ')} pref ${r.priority}`;

/** `count` table numbers from the first one (pub's) up that no registered name and no interface uses. */
function freeTables(facts: Facts, count: number): number[] {
  const used = new Set([
    ...facts.tables.values(),
    ...facts.interfaces.flatMap((f) => (f.config ? [f.config.table] : [])),
  ]);
  const free: number[] = [];
  for (let n = DEFAULT_TABLE.number; free.length < count; n++) if (!used.has(n)) free.push(n);
  return free;
}

function configFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const iface = f.state.iface;
  const out: Finding[] = [];
  if (!f.tableRegistered) {
    const number = f.config?.table ?? freeTables(facts, 1)[0]!;
    out.push({
      id: 'table-name',
      iface,
      problem:
        `table name "${f.tableValue}" is not registered in /etc/iproute2/rt_tables or rt_tables.d/*.conf` +
        (f.config
          ? ` (srcroute uses table ${number}; ip shows numbers)`
          : ': srcroute cannot resolve it, the hook refuses to run'),
      fix: [`echo '${number} ${f.tableValue}' >> /etc/iproute2/rt_tables.d/srcroute.conf`],
    });
  } else if (f.config === null && f.state.problem !== null) {
    out.push({
      id: 'config',
      iface,
      problem: f.state.problem,
      fix: ['correct the file named above (see srcroute config --defaults)'],
    });
  }
  return out;
}

function hookFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const { iface } = f.state;
  const h = f.hook;
  const mk = (problem: string, fix: string[]): Finding[] => [
    { id: 'hook', iface, problem: `${h.path}: ${problem}`, fix },
  ];
  if (!h.exists) return mk('missing: dhcpcd runs nothing for this interface', [reinstall(facts, iface)]);
  if (!h.rootOwned) return mk('not owned by root: the dispatcher skips it', [`chown root:root ${h.path}`]);
  if (h.writableByOthers) return mk('writable by group or others: the dispatcher skips it', [`chmod go-w ${h.path}`]);
  if (!h.executable) return mk('not executable: the dispatcher skips it', [`chmod 755 ${h.path}`]);
  if (h.interpreter === null) return mk('has no #! line', [reinstall(facts, iface)]);
  if (!h.interpreterExists) {
    return mk(`its #! names ${h.interpreter}, which does not exist (node moved or was removed)`, [
      install(facts, `--node "$(command -v node)" ${iface}`),
    ]);
  }
  if (h.bundle !== null && !h.bundleExists)
    return mk(`it loads ${h.bundle}, which does not exist`, [reinstall(facts, iface)]);
  return [];
}

/** Where dhcpcd.service runs the hook: can its node start there at all? */
function serviceFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const s = facts.dhcpcdService;
  const h = f.hook;
  const { iface } = f.state;
  if (s === null || !h.exists || h.interpreter === null) return [];
  const out: Finding[] = [];
  if (s.noJit && !h.nodeFlags.includes('--jitless')) {
    out.push({
      id: 'service-jit',
      iface,
      problem:
        `${h.path} runs node with its JIT, which ${SERVICE} denies its hooks (MemoryDenyWriteExecute=yes in ` +
        `${s.unit}): node aborts on every lease event, nothing is routed`,
      fix: [`${reinstall(facts, iface)} (writes the hooks with node --jitless)`],
    });
  }
  const home = hiddenHome(h.interpreter) ?? hiddenHome(h.interpreterReal ?? '');
  if (s.hidesHome && home !== null) {
    out.push({
      id: 'service-home',
      iface,
      problem:
        `${h.path} runs ${h.interpreter}, under ${home}, which ${SERVICE} hides from its hooks ` +
        `(ProtectHome=yes): node cannot start there`,
      fix: [
        install(
          facts,
          `--node /usr/bin/node ${iface}`,
          'apt install nodejs; or any node outside /home, /root, /run/user',
        ),
      ],
    });
  }
  return out;
}

function leaseFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const s = f.state;
  const out: Finding[] = [];
  if (f.config !== null && s.problem !== null)
    out.push({
      id: 'lease',
      iface: s.iface,
      problem: s.problem,
      fix: [restartClient(f, facts), `srcroute sync ${s.iface}`],
    });
  // the original hook's `ip rule add from ADDR table N`, without srcroute's protocol
  const foreign =
    f.config === null
      ? []
      : facts.kernel[4].rules.filter(
          (r) => r.table === f.config!.table && r.protocol !== facts.protocol && r.from !== ANY[4],
        );
  if (foreign.length > 0) {
    out.push({
      id: 'leftover-rules',
      iface: s.iface,
      problem:
        `${foreign.length} rule(s) for ${hostOrPrefix(foreign[0]!.from)} that srcroute did not make (left by ` +
        `the original hook's \`ip rule add\` without a priority)`,
      fix: [...foreign.map(ruleDel), `srcroute sync ${s.iface}`],
    });
  }
  return out;
}

const SEVERITY: PartState[] = ['wrong', 'missing', 'stale'];

/** What a part of the table being missing, wrong or stale means, for a person. */
function partProblem(
  part: Part,
  state: PartState,
  what: string,
  family: Family,
  table: string,
  wanted: boolean,
): string {
  const v6 = family === 6 ? 'IPv6 ' : '';
  if (part === 'local') {
    return {
      missing:
        `no ${v6}rule that keeps ${what}'s traffic to local networks local: its replies to the LAN, ` +
        `containers or VPNs leave through the modem`,
      wrong:
        `the ${v6}rules that keep ${what}'s traffic to local networks local are not the ones configured (their ` +
        `preference or table)`,
      stale: `a ${v6}local-networks rule for ${what}, which it no longer holds or holds twice`,
    }[state];
  }
  if (part === 'rule') {
    return {
      missing: `no ${v6}source rule for ${what}: replies from it leave through the main table (the LAN), not the modem`,
      wrong: `the ${v6}source rule for ${what} is not the one configured (its preference or table)`,
      stale: wanted
        ? `a second ${v6}source rule for ${what}`
        : `a ${v6}source rule for ${what}, which it no longer holds${family === 6 ? ' (or with no router known)' : ''}`,
    }[state];
  }
  const route = part === 'default' ? `${v6}default route` : `${v6}route to ${what}`;
  return {
    missing: `no ${route} in table ${table}`,
    wrong: `the ${route} in table ${table} does not match the ${family === 6 ? 'router' : 'lease'}`,
    stale: `a ${route} in table ${table} left from an old ${family === 6 ? 'router or prefix' : 'lease'}`,
  }[state];
}

/**
 * The hook's own judgement: one finding per part of the table its plan would change, naming the
 * changes; `srcroute sync` makes exactly them.
 */
function planFindings(f: InterfaceFacts, family: Family, state: FamilyState | null): Finding[] {
  if (state === null || f.config === null) return [];
  const groups = new Map<string, PlannedChange[]>();
  for (const c of state.plan) {
    const key = `${c.part} ${c.subject}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const iface = f.state.iface;
  return [...groups.values()].map((changes) => {
    const { part, subject: what } = changes[0]!;
    const state_ = SEVERITY.find((x) => changes.some((c) => c.state === x))!;
    const wanted = part === 'rule' && state.desired.rules.some((r) => hostOrPrefix(r.from) === what);
    return {
      id: `${family === 6 ? 'ipv6-' : ''}${part === 'rule' || part === 'local' ? part : 'route'}-${state_}`,
      iface,
      problem: partProblem(part, state_, what, family, f.config!.tableName, wanted),
      fix: [`srcroute sync ${iface}   # runs: ${changes.map((c) => commandOf(c, family)).join('; ')}`],
    };
  });
}

/** A PRIORITY that puts srcroute's whole block of rules before every other rule but the local table's. */
function firstPreference(facts: Facts): number {
  const others = [...facts.policy[4], ...facts.policy[6]]
    .filter((r) => r.priority > 0 && r.protocol !== facts.protocol)
    .map((r) => r.priority);
  return Math.min(...others, 32766) - 1;
}

/** What went wrong with one `route get`, given the rule that decided it (null: none found before srcroute's). */
function misrouted(c: RouteCheck, f: InterfaceFacts, facts: Facts, rule: PolicyRule | null): Omit<Finding, 'iface'> {
  const answer = c.answer!;
  const ip = `ip ${c.family === 6 ? '-6 ' : ''}`;
  const table = f.config?.tableName ?? c.expect.table;
  const meant = `via ${c.expect.gateway ?? 'the link'} dev ${c.expect.dev} (table ${table})`;
  const went =
    'error' in answer
      ? `nowhere (${answer.error})`
      : `via ${answer.gateway ?? 'the link'} dev ${answer.dev} (table ${answer.table})`;
  if (rule === null) {
    return {
      id: 'route-unexpected',
      problem: `the kernel sends packets from ${c.address} ${went}, not ${meant}`,
      fix: [`${ip}route get ${c.to} from ${c.address}; ${ip}rule show   # what decides them`],
    };
  }
  if (rule.protocol === facts.protocol) {
    return {
      id: 'main-covers-internet',
      problem:
        `packets from ${c.address} to the internet go ${went}, not ${meant}: main holds a route more ` +
        `specific than its default that covers them (a VPN's 0.0.0.0/1, a router's Route Information), and srcroute ` +
        `keeps main's specific routes for local networks`,
      fix: [
        `${ip}route get ${c.to} from ${c.address}   # the route in main that takes them: have whatever adds it stop ` +
          `covering the internet`,
      ],
    };
  }
  return shadowed(c.address, `${went}, not ${meant}`, rule, f, facts);
}

/** Another program's rule decides before srcroute's block: srcroute's rules first, or that rule after them. */
function shadowed(
  address: string,
  how: string,
  rule: PolicyRule,
  f: InterfaceFacts,
  facts: Facts,
): Omit<Finding, 'iface'> {
  // the block's first preference
  const ours = (f.config?.priority ?? BLOCK_SIZE) - (f.config?.forward ? OFFSET.markLocal : OFFSET.subnet);
  const first = firstPreference(facts);
  return {
    id: 'route-shadowed',
    problem: `packets from ${address} go ${how}: rule "${rule.text}" decides them before srcroute's (pref ${ours})`,
    fix:
      first >= BLOCK_SIZE
        ? [
            `echo PRIORITY=${first} >> /etc/srcroute/${f.state.iface}.env && srcroute sync ${f.state.iface}   # ` +
              `srcroute's rules before every other one`,
          ]
        : [
            `make whatever added rule ${rule.priority} add it after pref ${ours}   # srcroute's rules take ` +
              `${ours}-${f.config?.priority ?? ours}`,
          ],
  };
}

/** Where the kernel really sends packets from each routed address, when srcroute's own state is right. */
function routeFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const last = f.config?.priority ?? 0;
  return f.routes
    .filter((c) => c.answer !== null && !routedAsMeant(c))
    .map((c) => {
      const table = 'error' in c.answer! ? null : c.answer!.table;
      return {
        iface: f.state.iface,
        ...misrouted(c, f, facts, decidingRule(facts.policy[c.family], c.address, c.to, table, last)),
      };
    });
}

/** A global IPv6 address on the interface that srcroute neither routes nor plans to. */
function ipv6AddressFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const { iface, ipv6 } = f.state;
  if (f.config === null) return [];
  // a source rule routes the address; the rules before it (address-rules.ts) alone do not
  const sources = facts.kernel[6].rules.filter(
    (r) => r.protocol === facts.protocol && r.table !== MAIN_TABLE && r.to === ANY[6],
  );
  const ruled = new Set(sources.map((r) => hostOrPrefix(r.from)));
  const planned = new Set((ipv6?.plan ?? []).filter((c) => c.part === 'rule').map((c) => c.subject));
  const loose = (facts.kernel[6].addresses.get(iface) ?? []).filter((a) => !ruled.has(a) && !planned.has(a));
  return loose.map((addr) => ({
    id: 'ipv6-address-without-rule',
    iface,
    problem:
      ipv6 === null
        ? `it holds ${addr}, but IPV6=no: srcroute does not route it, so replies from it leave through the main ` +
          `table (the LAN)`
        : `it holds ${addr}, but no router is known for it (no RA default in main, none in its table): replies from ` +
          `it leave through the main table (the LAN)`,
    fix:
      ipv6 === null
        ? [
            `echo IPV6=yes >> /etc/srcroute/${iface}.env && srcroute sync ${iface}   # or no IPv6 there: sysctl -w ` +
              `${sysctlKey(iface, 'accept_ra', 'ipv6')}=0`,
          ]
        : [restartClient(f, facts)],
  }));
}

function ipv6Findings(f: InterfaceFacts): Finding[] {
  const { iface } = f.state;
  const sysctl = f.sysctl6;
  if (sysctl === null || !sysctl.forwarding || sysctl.acceptRa === 2) return [];
  return [
    {
      id: 'ipv6-accept-ra',
      iface,
      problem:
        `IPv6 forwarding is on and ${sysctlKey(iface, 'accept_ra', 'ipv6')} is ` +
        `${sysctl.acceptRa ?? 'unknown'}, not 2: the kernel ignores the modem's router advertisements`,
      fix: [
        `sysctl -w ${sysctlKey(iface, 'accept_ra', 'ipv6')}=2`,
        `printf '%s = 2\\n' ${sysctlKey(iface, 'accept_ra', 'ipv6')} >> /etc/sysctl.d/60-srcroute.conf   # at boot too`,
      ],
    },
  ];
}


/**
 * A route delete that takes that route alone. IPv4 matches device and gateway; IPv6 does not for
 * routes that use a nexthop object (networkd's): a delete by prefix, protocol and metric takes the
 * first such one, which can be the LAN's (seen with networkd 257, Debian 13). Then the device's own
 * IPv6 is reset instead.
 */
function removal(r: MetricRoute, family: Family, main: readonly MetricRoute[]): string {
  const risky =
    family === 6 &&
    main.some(
      (o) => o !== r && o.dst === r.dst && o.nhid !== null && o.protocol === r.protocol && o.metric === r.metric,
    );
  if (risky) {
    const key = sysctlKey(r.dev, 'disable_ipv6', 'ipv6');
    return (
      `sysctl -w ${key}=1 && sysctl -w ${key}=0   # drops ${r.dev}'s IPv6 routes and addresses alone: a route ` +
      `delete could take the LAN's default (same protocol and metric, a nexthop object)`
    );
  }
  return (
    `ip ${family === 6 ? '-6 ' : ''}route del default${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev} ` +
    `proto ${protocolName(r.protocol)} metric ${r.metric} table main`
  );
}

/** The LAN's links as install judges them (lan.ts), from main's defaults in the kernel check read. */
function lanOf(facts: Facts): ReadonlyMap<string, string> {
  const defaults = ([4, 6] as const).flatMap((family) =>
    facts.kernel[family].routes
      .filter((r) => r.table === MAIN_TABLE && r.dst === ANY[family])
      .map((r) => ({ family, dev: r.dev, metric: r.metric })),
  );
  return lanLinks({ links: [], defaults, ssh: undefined });
}

/**
 * A macvlan whose parent carries main's best default: the parent is the LAN, not the modem's
 * link. Its default is the box's way out and no fix may touch it; the macvlan belongs on the
 * modem's VLAN or a port of its own.
 */
function lanParent(r: MetricRoute, family: Family, on: string[]): Finding {
  return {
    id: 'parent-is-lan',
    iface: on[0]!,
    problem:
      `${on.join(', ')} sit${on.length === 1 ? 's' : ''} on ${r.dev}, which carries main's ` +
      `${family === 6 ? 'IPv6 ' : ''}default (via ${r.gateway ?? 'the link'}, metric ${r.metric}): that is the LAN, ` +
      `not the modem's link`,
    fix: [
      `put the modem on a VLAN of ${r.dev} (sudo srcroute install --parent ${r.dev} --vlan VID ${on[0]!}) or on a ` +
        `port of its own; leave ${r.dev}'s default alone`,
    ],
  };
}

/**
 * What stops whatever put a default into main: on the modem's port (`own` null), its DHCP client
 * or its RAs; on a srcroute interface, dhcpcd's nogateway or the kernel's RA metric.
 */
function defaultSourceFix(r: MetricRoute, family: Family, own: InterfaceFacts | null, facts: Facts): string[] {
  if (own === null && family === 6)
    return [
      `sysctl -w ${sysctlKey(r.dev, 'accept_ra', 'ipv6')}=0   # no IPv6 from the modem on its own port ` +
        `(NetworkManager: nmcli connection modify PROFILE ipv6.method disabled)`,
    ];
  if (own === null)
    return [
      `run no DHCP client on ${r.dev}: the macvlans lease (NetworkManager: nmcli connection modify ` +
        `PROFILE ipv4.method disabled)`,
    ];
  return [
    ...nogatewayFix(own, facts).map((line, i) => (i === 0 ? `with dhcpcd: ${line}` : line)),
    ...(family === 6
      ? [
          `with the kernel's RAs (dhclient): sysctl -w ` +
            `${sysctlKey(r.dev, 'ra_defrtr_metric', 'ipv6')}=${RA_DEFRTR_METRIC}   # and in ` +
            `/etc/sysctl.d/60-srcroute.conf`,
        ]
      : []),
  ];
}

/**
 * Defaults in main that leave through a srcroute interface or the link it sits on (the modem's
 * port): traffic from every source may go to the modem, which drops what is not from its
 * leases. One finding per route, whichever interfaces share that port. One is srcroute's own
 * doing and stays: under ifupdown with dhclient, the kernel's RA default on the macvlan, at the
 * metric RA_DEFRTR_METRIC its pre-up sets, below the LAN's (it tells srcroute the router).
 */
function mainDefaultFindings(facts: Facts): Finding[] {
  const out: Finding[] = [];
  const lan = lanOf(facts);
  for (const family of [4, 6] as const) {
    const main = facts.kernel[family].routes.filter((r) => r.table === MAIN_TABLE && r.dst === ANY[family]);
    const best = Math.min(...main.map((r) => r.metric));
    for (const r of main) {
      const own = facts.interfaces.find((f) => f.state.iface === r.dev);
      const under = facts.interfaces.filter((f) => f.parent !== null && f.parent === r.dev);
      const f = own ?? under[0];
      if (f === undefined) continue;
      const below =
        family === 6 &&
        own !== undefined &&
        r.protocol === RTPROT_RA &&
        r.metric >= RA_DEFRTR_METRIC &&
        r.metric > best;
      if (below) continue;
      if (own === undefined && lan.has(r.dev)) {
        if (!out.some((x) => x.id === 'parent-is-lan')) out.push(lanParent(r, family, under.map((u) => u.state.iface)));
        continue;
      }
      const source = defaultSourceFix(r, family, own === undefined ? null : f, facts);
      out.push({
        id: `${family === 6 ? 'ipv6-' : ''}main-default`,
        iface: f.state.iface,
        problem:
          `main holds ${family === 6 ? 'an IPv6' : 'a'} default route via ${r.gateway ?? 'the link'} dev ` +
          `${r.dev}${own ? '' : ` (the modem's port, under ${under.map((u) => u.state.iface).join(', ')})`}, proto ` +
          `${protocolName(r.protocol)}, metric ${r.metric}: traffic from every source may leave through the ` +
          `modem, which drops what is not from its leases`,
        fix: [removal(r, family, main), ...source],
      });
    }
  }
  return out;
}

/** A configured interface the kernel does not have: nothing leases or routes there. */
function linkFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  if (f.exists) return [];
  const iface = f.state.iface;
  return [
    {
      id: 'link-missing',
      iface,
      problem: `${iface} does not exist: no lease, nothing routed`,
      fix: [restartClient(f, facts)],
    },
  ];
}

/**
 * Two DHCP clients that lease the same interface and family, named in the order they started
 * (/proc lists pids as text: 1141 before 865): stop dhcpcd.service, else the later one.
 */
function twoClients(iface: string, clients: readonly DhcpClient[]): Finding {
  const manager = clients.find((c) => c.program === 'dhcpcd' && c.ifaces === 'all');
  const byStart = [...clients].sort((a, b) => a.startedMs - b.startedMs);
  const last = byStart.at(-1)!;
  return {
    id: 'two-dhcp-clients',
    iface,
    problem:
      `${clients.length} DHCP clients lease it (${byStart.map(describeClient).join(', ')}): they fight ` +
      `over its address, and each may take another public address`,
    fix: manager
      ? [
          `systemctl disable --now dhcpcd   # dhcpcd.service leases every interface; if it runs your LAN, keep it ` +
            `and put "denyinterfaces ${iface}" above the first "interface" line of /etc/dhcpcd.conf instead`,
        ]
      : [`kill ${last.pid}   # the ${last.program} started last`],
  };
}

/** What runs for the interface: no client, two clients, an address without its rule. */
function clientFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const s = f.state;
  const out: Finding[] = [];
  if (f.clients.length === 0) {
    out.push({
      id: 'no-dhcp-client',
      iface: s.iface,
      problem: 'no DHCP client runs for it: nothing renews its lease, and srcroute follows no lease event',
      fix: [restartClient(f, facts)],
    });
  } else if (fighting(f.clients).length > 1) {
    // one per family (ifupdown's dhclient -4 and dhclient -6) is fine
    out.push(twoClients(s.iface, fighting(f.clients)));
  }
  const ruled = new Set(
    facts.kernel[4].rules.filter((r) => r.protocol === facts.protocol).map((r) => hostOrPrefix(r.from)),
  );
  // the lease's own address is judged against the lease (rule-missing and the like)
  for (const addr of f.addresses.filter((a) => !ruled.has(a) && a !== s.lease?.address)) {
    out.push({
      id: 'address-without-rule',
      iface: s.iface,
      problem:
        `it holds ${addr}, which no lease its DHCP client reports and no srcroute rule covers: replies from ` +
        `it leave through the main table (the LAN), not the modem`,
      fix: [restartClient(f, facts)],
    });
  }
  return out;
}

function systemFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const { iface } = f.state;
  const out: Finding[] = [];
  const conf = facts.dhcpcdConf;
  // dhclient alone leases it: dhcpcd.conf does not matter (srcroute's enter hook keeps main clean)
  const dhclientOnly = f.clients.length > 0 && f.clients.every((c) => c.program === 'dhclient');
  if (conf !== null && !dhclientOnly && !hasNogateway(conf.text, iface)) {
    out.push({
      id: 'nogateway',
      iface,
      problem:
        `${conf.path} lacks "nogateway" for ${iface}: dhcpcd puts its default route in the main table, where ` +
        `it replaces or competes with the LAN's`,
      fix: nogatewayFix(f, facts),
    });
  }
  if (f.state.rpFilter === 'strict') {
    const v = f.state.rpFilterValues;
    const keys = [...(v.all === 1 ? ['net.ipv4.conf.all.rp_filter'] : []), sysctlKey(iface)];
    out.push({
      id: 'rp-filter',
      iface,
      problem:
        `strict reverse-path filtering (rp_filter: all=${v.all}, ${iface}=${v.iface}; the larger counts): ` +
        `packets to its address are dropped whenever the source rule is missing`,
      fix: [
        ...keys.map((k) => `sysctl -w ${k}=2`),
        `printf '%s = 2\\n' ${keys.join(' ')} >> /etc/sysctl.d/60-srcroute.conf   # at boot too`,
      ],
    });
  }
  return out;
}

/**
 * A running networkd that deletes srcroute's rules: by its files' setting, or because it started before the file that
 * turns that off.
 */
function networkdFindings(n: NetworkdFacts): Finding[] {
  if (!n.running) return [];
  if (n.manageForeignRules) {
    return [
      {
        id: 'networkd-foreign-rules',
        iface: null,
        problem:
          `systemd-networkd runs with ManageForeignRoutingPolicyRules=yes (${n.setIn ?? 'its default'}): it ` +
          `deletes rules it did not create, srcroute's included`,
        fix: [
          `mkdir -p /etc/systemd/networkd.conf.d && printf '${NETWORKD_DROP_IN.text.replace(/\n/g, '\\n')}' > ` +
            `${NETWORKD_DROP_IN.path}`,
          'systemctl restart systemd-networkd',
        ],
      },
    ];
  }
  if (n.startedBeforeConfig) {
    return [
      {
        id: 'networkd-restart',
        iface: null,
        problem:
          `systemd-networkd started before ${n.setIn} was written: it reads networkd.conf.d only at start, ` +
          `so it still deletes srcroute's rules on every reload or reconfigure`,
        fix: ['systemctl restart systemd-networkd'],
      },
    ];
  }
  return [];
}

/** What is wrong with the configuration as a whole: a global file that does not parse, no interface. */
function globalFindings(facts: Facts): Finding[] {
  const out: Finding[] = [];
  if (facts.globalProblem !== null)
    out.push({
      id: 'config',
      iface: null,
      problem: facts.globalProblem,
      fix: ['correct the file named above (see srcroute config --defaults)'],
    });
  if (facts.interfaces.length === 0) {
    out.push({
      id: 'no-interface',
      iface: null,
      problem: 'no interface is configured (no /etc/srcroute/IFACE.env, no /etc/dhcpcd/IFACE.exit-hook)',
      fix: [reinstall(facts, 'eth0v0')],
    });
  }
  return out;
}

/** Every finding about one interface, in the order check prints them. */
function interfaceFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  return [
    ...configFindings(f, facts),
    ...hookFindings(f, facts),
    ...serviceFindings(f, facts),
    ...linkFindings(f, facts),
    ...leaseFindings(f, facts),
    ...planFindings(f, 4, f.state.ipv4),
    ...planFindings(f, 6, f.state.ipv6),
    ...routeFindings(f, facts),
    ...clientFindings(f, facts),
    ...ipv6AddressFindings(f, facts),
    ...ipv6Findings(f),
    ...systemFindings(f, facts),
    ...forwardFindings(f.state.iface, f.forward, (args) => install(facts, args)),
  ];
}

/** dhcpcd.service: its hooks cannot write the lock directory, or it runs in the sandbox of before its drop-in. */
function serviceWideFindings(facts: Facts): Finding[] {
  const out: Finding[] = [];
  const s = facts.dhcpcdService;
  if (s !== null && s.readOnlyRun && !s.writable.includes(LOCK_DIR) && facts.interfaces.some((f) => f.hook.exists)) {
    out.push({
      id: 'service-lock',
      iface: null,
      problem:
        `${SERVICE} makes /run read-only for its hooks (ProtectSystem=strict) and does not let them write ` +
        `${LOCK_DIR}: every lease event runs without its lock and logs a warning`,
      fix: [
        reinstall(facts, facts.interfaces.map((f) => f.state.iface).join(' ')),
        `sudo systemctl try-restart ${SERVICE}`,
      ],
    });
  }

  // a start time is known to 10 ms: only a drop-in written later than that counts
  const manager = facts.interfaces.flatMap((f) => f.clients).find((c) => c.program === 'dhcpcd' && c.ifaces === 'all');
  if (
    s !== null &&
    manager !== undefined &&
    s.newestDropIn !== null &&
    manager.startedMs + 10 < s.newestDropIn.writtenMs
  ) {
    out.push({
      id: 'service-restart',
      iface: null,
      problem:
        `${SERVICE} (pid ${manager.pid}) started before ${s.newestDropIn.path} was written: its hooks still ` +
        `run in the sandbox it started with`,
      fix: [
        `sudo systemctl try-restart ${SERVICE}   # with \`persistent\` in dhcpcd.conf (Debian's) the leases and ` +
          `their addresses stay through it`,
      ],
    });
  }
  return out;
}

/** Interfaces that share a table: each lease's default replaces the other's. */
function sharedTableFindings(facts: Facts): Finding[] {
  const out: Finding[] = [];
  const byTable = new Map<number, string[]>();
  for (const f of facts.interfaces)
    if (f.config) byTable.set(f.config.table, [...(byTable.get(f.config.table) ?? []), f.state.iface]);
  for (const [table, ifaces] of byTable) {
    if (ifaces.length < 2) continue;
    const [, ...others] = ifaces;
    const free = freeTables(facts, others.length);
    out.push({
      id: 'shared-table',
      iface: null,
      problem: `${ifaces.join(' and ')} share table ${table}: each lease's default route replaces the other's`,
      fix: others.map((i, k) => `echo 'TABLE=${free[k]}' >> /etc/srcroute/${i}.env`),
    });
  }
  return out;
}

/** A dispatcher without srcroute's block: dhcpcd never runs the per-interface hooks. */
function dispatcherFindings(facts: Facts): Finding[] {
  if (!facts.interfaces.some((f) => f.hook.exists) || facts.dispatcher.hasBlock || facts.dispatcher.dhclient) return [];
  return [
    {
      id: 'dispatcher',
      iface: null,
      problem:
        `${facts.dispatcher.path} has no srcroute block ("${DISPATCHER_MARKER}"): dhcpcd never runs the ` +
        `per-interface hooks`,
      fix: [reinstall(facts, facts.interfaces.map((f) => f.state.iface).join(' '))],
    },
  ];
}

/** NetworkManager leasing a macvlan itself, beside (or instead of) dhcpcd. */
function nmLeaseFindings(facts: Facts): Finding[] {
  return facts.nmLeases.map((l) => ({
    id: 'nm-dhcp',
    iface: l.iface,
    problem:
      `NetworkManager leases it itself (connection "${l.connection}"): srcroute never hears of that ` +
      `lease's renewals (NetworkManager 1.42.4 sends no event), and beside dhcpcd the modem hands out a second ` +
      `address`,
    fix: [
      `nmcli connection modify '${l.connection}' ipv4.method disabled && nmcli connection up '${l.connection}'   ` +
        `# dhcpcd leases it (${installCommand(facts, `--parent ETH ${l.iface}`)})`,
    ],
  }));
}

export function diagnose(facts: Facts): Finding[] {
  return [
    ...globalFindings(facts),
    ...facts.interfaces.flatMap((f) => interfaceFindings(f, facts)),
    ...serviceWideFindings(facts),
    ...sharedTableFindings(facts),
    ...dispatcherFindings(facts),
    ...mainDefaultFindings(facts),
    ...networkdFindings(facts.networkd),
    ...nmLeaseFindings(facts),
  ];
}

/** `srcroute check`'s text: one numbered block per finding, or one line when all is well. */
export function renderFindings(findings: readonly Finding[], ifaces: readonly string[]): string[] {
  if (findings.length === 0) return [`srcroute check: no problem found (${ifaces.join(', ') || 'no interface'})`];
  const out = [`srcroute check: ${findings.length} problem${findings.length === 1 ? '' : 's'} found`];
  findings.forEach((f, i) => {
    const indent = ' '.repeat(String(i + 1).length + 2);
    out.push('', `${i + 1}. ${f.iface ? `${f.iface}: ` : ''}${f.problem}`);
    f.fix.forEach((line, k) => out.push(`${indent}${k === 0 ? 'fix: ' : '     '}${line}`));
  });
  return out;
}
