// `srcroute check`, the judging part: facts in, findings out, each with what is wrong and the
// exact command that fixes it. Pure, so every finding is tested from plain data.
import { NETWORKD_DROP_IN, type NetworkdFacts } from './networkd.js';
import { hasNogateway } from './dhcpcd-conf.js';
import { describeClient, fighting } from './dhcp-clients.js';
import { DISPATCHER_MARKER, type Facts, type InterfaceFacts } from './facts.js';
import { hiddenHome, LOCK_DIR, SERVICE } from './dhcpcd-service.js';
import type { SeenRule } from '../kernel/kernel.js';

export interface Finding {
  /** A stable key for scripts and tests: `rule-missing`, `rp-filter`, … */
  id: string;
  iface: string | null;
  problem: string;
  fix: string[];
}

const RULE_PROBLEMS = {
  missing: 'no source rule for its address: replies from it leave through the main table (the LAN), not the modem',
  stale: 'a source rule for an address it no longer holds',
  duplicated: 'more than one source rule for its address',
} as const;

/** A per-interface sysctl key; with a dot in the name only the slash form is unambiguous. */
const sysctlKey = (iface: string, key = 'rp_filter', family = 'ipv4'): string =>
  iface.includes('.') ? `net/${family}/conf/${iface}/${key}` : `net.${family}.conf.${iface}.${key}`;
/** Re-running the installer restores every file it owns. */
const reinstall = (iface: string): string => `sudo ./install.sh ${iface}   # in srcroute's source directory`;
const hostOf = (prefix: string): string => prefix.replace(/\/32$/, '');
/**
 * How to get IFACE's client to lease again, never by starting a dhcpcd by accident (a dhcpcd
 * control command that finds no daemon starts one): the box's own way when known (ifupdown), a
 * rebind when a dhcpcd runs for it, else the installer, which sets a client up for good.
 */
function restartClient(f: InterfaceFacts): string {
  const iface = f.state.iface;
  if (f.clientStart !== null) return f.clientStart;
  if (f.clients.some((c) => c.program === 'dhcpcd')) return `dhcpcd -n ${iface}   # the running dhcpcd rebinds it`;
  return `sudo ./install.sh --parent PARENT ${iface}   # in srcroute's source directory; PARENT: the modem's interface`;
}
const runningDhcpcd = (f: InterfaceFacts): boolean => f.clients.some((c) => c.program === 'dhcpcd');
/**
 * dhcpcd.conf's `nogateway` for IFACE: the installer's own block (the one it writes and
 * --uninstall removes), then a rebind only when a dhcpcd runs for it (`dhcpcd -n` would start one
 * otherwise). For IPv4's default route and for the RA default in IPv6 alike.
 */
const nogatewayFix = (f: InterfaceFacts): string[] => [
  `sudo ./install.sh --configure-dhcpcd ${f.state.iface}   # in srcroute's source directory`,
  ...(runningDhcpcd(f) ? [`dhcpcd -n ${f.state.iface}   # the running dhcpcd rereads dhcpcd.conf`] : []),
];
const ruleDel = (r: SeenRule): string => `ip rule del from ${hostOf(r.from)} lookup ${r.table} pref ${r.priority}`;

/** `count` table numbers from 123 up that no registered name and no interface uses. */
function freeTables(facts: Facts, count: number): number[] {
  const used = new Set([...facts.tables.values(), ...facts.interfaces.flatMap((f) => (f.config ? [f.config.table] : []))]);
  const free: number[] = [];
  for (let n = 123; free.length < count; n++) if (!used.has(n)) free.push(n);
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
      problem: `table name "${f.tableValue}" is not registered in /etc/iproute2/rt_tables or rt_tables.d/*.conf` +
        (f.config ? ` (srcroute uses table ${number}; ip shows numbers)` : ': srcroute cannot resolve it, the hook refuses to run'),
      fix: [`echo '${number} ${f.tableValue}' >> /etc/iproute2/rt_tables.d/srcroute.conf`],
    });
  } else if (f.config === null && f.state.problem !== null) {
    out.push({ id: 'config', iface, problem: f.state.problem, fix: ['correct the file named above (see srcroute config --defaults)'] });
  }
  return out;
}

function hookFindings(f: InterfaceFacts): Finding[] {
  const { iface } = f.state;
  const h = f.hook;
  const mk = (problem: string, fix: string[]): Finding[] => [{ id: 'hook', iface, problem: `${h.path}: ${problem}`, fix }];
  if (!h.exists) return mk('missing: dhcpcd runs nothing for this interface', [reinstall(iface)]);
  if (!h.rootOwned) return mk('not owned by root: the dispatcher skips it', [`chown root:root ${h.path}`]);
  if (h.writableByOthers) return mk('writable by group or others: the dispatcher skips it', [`chmod go-w ${h.path}`]);
  if (!h.executable) return mk('not executable: the dispatcher skips it', [`chmod 755 ${h.path}`]);
  if (h.interpreter === null) return mk('has no #! line', [reinstall(iface)]);
  if (!h.interpreterExists) {
    return mk(`its #! names ${h.interpreter}, which does not exist (node moved or was removed)`, [
      `sudo ./install.sh --node "$(command -v node)" ${iface}   # in srcroute's source directory`,
    ]);
  }
  if (h.bundle !== null && !h.bundleExists) return mk(`it loads ${h.bundle}, which does not exist`, [reinstall(iface)]);
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
      problem: `${h.path} runs node with its JIT, which ${SERVICE} denies its hooks (MemoryDenyWriteExecute=yes in ${s.unit}): node aborts on every lease event, nothing is routed`,
      fix: [`${reinstall(iface)} (writes the hooks with node --jitless)`],
    });
  }
  const home = hiddenHome(h.interpreter) ?? hiddenHome(h.interpreterReal ?? '');
  if (s.hidesHome && home !== null) {
    out.push({
      id: 'service-home',
      iface,
      problem: `${h.path} runs ${h.interpreter}, under ${home}, which ${SERVICE} hides from its hooks (ProtectHome=yes): node cannot start there`,
      fix: [`sudo ./install.sh --node /usr/bin/node ${iface}   # apt install nodejs; or any node outside /home, /root, /run/user`],
    });
  }
  return out;
}

function leaseFindings(f: InterfaceFacts, facts: Facts): Finding[] {
  const s = f.state;
  const out: Finding[] = [];
  if (f.config !== null && s.problem !== null) out.push({ id: 'lease', iface: s.iface, problem: s.problem, fix: [restartClient(f), `srcroute sync ${s.iface}`] });
  const foreign = s.rules.filter((r) => r.protocol !== facts.protocol);
  if (foreign.length > 0) {
    out.push({
      id: 'leftover-rules',
      iface: s.iface,
      problem: `${foreign.length} rule(s) for ${hostOf(foreign[0]!.from)} that srcroute did not make (left by the original hook's \`ip rule add\` without a priority)`,
      fix: [...foreign.map(ruleDel), `srcroute sync ${s.iface}`],
    });
  } else if (s.rule === 'missing' || s.rule === 'stale' || s.rule === 'duplicated') {
    out.push({ id: `rule-${s.rule}`, iface: s.iface, problem: RULE_PROBLEMS[s.rule], fix: [`srcroute sync ${s.iface}`] });
  }
  const routes = [
    ['default route', s.defaultRoute],
    ['connected route', s.connected],
  ] as const;
  for (const [what, state] of routes) {
    if (state === 'missing' || state === 'wrong' || state === 'stale') {
      const where = s.table ? ` in table ${s.table.name}` : '';
      const says = { missing: `no ${what}${where}`, wrong: `the ${what}${where} does not match the lease`, stale: `a ${what}${where} left from an old lease` }[state];
      out.push({ id: `route-${state}`, iface: s.iface, problem: says, fix: [`srcroute sync ${s.iface}`] });
    }
  }
  return out;
}

const IPV6_PROBLEMS = {
  rules: {
    missing: 'a global IPv6 address without its source rule: replies from it leave through the main table (the LAN)',
    stale: 'an IPv6 source rule for an address it no longer holds (or with no router known)',
  },
  defaultRoute: {
    missing: 'no IPv6 default route (via the router the modem advertises) in its table',
    stale: 'an IPv6 default route in its table although no router is known',
  },
} as const;

function ipv6Findings(f: InterfaceFacts): Finding[] {
  const { iface, ipv6 } = f.state;
  if (ipv6 === null) return [];
  const out: Finding[] = [];
  for (const part of ['rules', 'defaultRoute'] as const) {
    const state = ipv6[part];
    if (state === 'missing' || state === 'stale') out.push({ id: `ipv6-${part === 'rules' ? 'rule' : 'route'}-${state}`, iface, problem: IPV6_PROBLEMS[part][state], fix: [`srcroute sync ${iface}`] });
  }
  if (ipv6.mainDefaultHere) {
    const { gateway, metric } = ipv6.mainDefaultHere;
    out.push({
      id: 'ipv6-main-default',
      iface,
      problem: `main's IPv6 default route leaves via ${iface} (${gateway ? `via ${gateway}, ` : ''}metric ${metric}): IPv6 from every source goes to the modem, not the LAN`,
      fix: [
        // metric 1024 (the kernel's ra_defrtr_metric) with accept_ra 0 (dhcpcd took over the RAs): the kernel's
        // from before dhcpcd ran (a NetworkManager link, stacks/nm.ts), never renewed nor removed; nogateway cannot remove it
        ...(ipv6.acceptRa === 0 && metric === 1024 ? [`ip -6 route del default${gateway ? ` via ${gateway}` : ''} dev ${iface} metric ${metric}   # the kernel took it before dhcpcd turned its RA handling off`] : []),
        ...nogatewayFix(f).map((line, i) => (i === 0 ? `with dhcpcd: ${line}` : line)),
        `with dhclient (the kernel's RAs): sysctl -w ${sysctlKey(iface, 'ra_defrtr_metric', 'ipv6')}=2048   # and in /etc/sysctl.d/60-srcroute.conf`,
      ],
    });
  }
  if (ipv6.forwarding && ipv6.acceptRa !== 2) {
    out.push({
      id: 'ipv6-accept-ra',
      iface,
      problem: `IPv6 forwarding is on and ${sysctlKey(iface, 'accept_ra', 'ipv6')} is ${ipv6.acceptRa ?? 'unknown'}, not 2: the kernel ignores the modem's router advertisements`,
      fix: [`sysctl -w ${sysctlKey(iface, 'accept_ra', 'ipv6')}=2`, `printf '%s = 2\\n' ${sysctlKey(iface, 'accept_ra', 'ipv6')} >> /etc/sysctl.d/60-srcroute.conf   # at boot too`],
    });
  }
  return out;
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
      fix: [restartClient(f)],
    });
  } else if (fighting(f.clients).length > 1) {
    // one per family (ifupdown's dhclient -4 and dhclient -6) is fine
    const clients = fighting(f.clients);
    const manager = clients.find((c) => c.program === 'dhcpcd' && c.ifaces === 'all');
    const last = [...clients].sort((a, b) => b.startedMs - a.startedMs)[0]!;
    out.push({
      id: 'two-dhcp-clients',
      iface: s.iface,
      problem: `${clients.length} DHCP clients lease it (${clients.map(describeClient).join(', ')}): they fight over its address, and each may take another public address`,
      fix: manager
        ? [`systemctl disable --now dhcpcd   # dhcpcd.service leases every interface; if it runs your LAN, keep it and put "denyinterfaces ${s.iface}" above the first "interface" line of /etc/dhcpcd.conf instead`]
        : [`kill ${last.pid}   # the ${last.program} started last`],
    });
  }
  const ruled = new Set(facts.kernel.rules.filter((r) => r.protocol === facts.protocol).map((r) => hostOf(r.from)));
  // the lease's own address is judged against the lease (rule-missing and the like)
  for (const addr of f.addresses.filter((a) => !ruled.has(a) && a !== s.lease?.address)) {
    out.push({
      id: 'address-without-rule',
      iface: s.iface,
      problem: `it holds ${addr}, which no lease its DHCP client reports and no srcroute rule covers: replies from it leave through the main table (the LAN), not the modem`,
      fix: [restartClient(f)],
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
      problem: `${conf.path} lacks "nogateway" for ${iface}: dhcpcd puts its default route in the main table, where it replaces or competes with the LAN's`,
      fix: nogatewayFix(f),
    });
  }
  if (f.state.rpFilter === 'strict') {
    const v = f.state.rpFilterValues;
    const keys = [...(v.all === 1 ? ['net.ipv4.conf.all.rp_filter'] : []), sysctlKey(iface)];
    out.push({
      id: 'rp-filter',
      iface,
      problem: `strict reverse-path filtering (rp_filter: all=${v.all}, ${iface}=${v.iface}; the larger counts): packets to its address are dropped whenever the source rule is missing`,
      fix: [
        ...keys.map((k) => `sysctl -w ${k}=2`),
        `printf '%s = 2\\n' ${keys.join(' ')} >> /etc/sysctl.d/60-srcroute.conf   # at boot too`,
      ],
    });
  }
  return out;
}

/** A running networkd that deletes srcroute's rules: by its files' setting, or because it started before the file that turns that off. */
function networkdFindings(n: NetworkdFacts): Finding[] {
  if (!n.running) return [];
  if (n.manageForeignRules) {
    return [{
      id: 'networkd-foreign-rules',
      iface: null,
      problem: `systemd-networkd runs with ManageForeignRoutingPolicyRules=yes (${n.setIn ?? 'its default'}): it deletes rules it did not create, srcroute's included`,
      fix: [
        `mkdir -p /etc/systemd/networkd.conf.d && printf '${NETWORKD_DROP_IN.text.replace(/\n/g, '\\n')}' > ${NETWORKD_DROP_IN.path}`,
        'systemctl restart systemd-networkd',
      ],
    }];
  }
  if (n.startedBeforeConfig) {
    return [{
      id: 'networkd-restart',
      iface: null,
      problem: `systemd-networkd started before ${n.setIn} was written: it reads networkd.conf.d only at start, so it still deletes srcroute's rules on every reload or reconfigure`,
      fix: ['systemctl restart systemd-networkd'],
    }];
  }
  return [];
}

export function diagnose(facts: Facts): Finding[] {
  const out: Finding[] = [];
  if (facts.globalProblem !== null) out.push({ id: 'config', iface: null, problem: facts.globalProblem, fix: ['correct the file named above (see srcroute config --defaults)'] });
  if (facts.interfaces.length === 0) {
    out.push({ id: 'no-interface', iface: null, problem: 'no interface is configured (no /etc/srcroute/IFACE.env, no /etc/dhcpcd/IFACE.exit-hook)', fix: [reinstall('eth0v0')] });
  }
  for (const f of facts.interfaces) {
    out.push(...configFindings(f, facts), ...hookFindings(f), ...serviceFindings(f, facts), ...leaseFindings(f, facts), ...clientFindings(f, facts), ...ipv6Findings(f), ...systemFindings(f, facts));
  }
  const s = facts.dhcpcdService;
  if (s !== null && s.readOnlyRun && !s.writable.includes(LOCK_DIR) && facts.interfaces.some((f) => f.hook.exists)) {
    out.push({
      id: 'service-lock',
      iface: null,
      problem: `${SERVICE} makes /run read-only for its hooks (ProtectSystem=strict) and does not let them write ${LOCK_DIR}: every lease event runs without its lock and logs a warning`,
      fix: [reinstall(facts.interfaces.map((f) => f.state.iface).join(' ')), `sudo systemctl restart ${SERVICE}`],
    });
  }

  const byTable = new Map<number, string[]>();
  for (const f of facts.interfaces) if (f.config) byTable.set(f.config.table, [...(byTable.get(f.config.table) ?? []), f.state.iface]);
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
  if (facts.interfaces.some((f) => f.hook.exists) && !facts.dispatcher.hasBlock && !facts.dispatcher.dhclient) {
    out.push({
      id: 'dispatcher',
      iface: null,
      problem: `${facts.dispatcher.path} has no srcroute block ("${DISPATCHER_MARKER}"): dhcpcd never runs the per-interface hooks`,
      fix: [reinstall(facts.interfaces.map((f) => f.state.iface).join(' '))],
    });
  }
  out.push(...networkdFindings(facts.networkd));
  for (const l of facts.nmLeases) {
    out.push({
      id: 'nm-dhcp',
      iface: l.iface,
      problem: `NetworkManager leases it itself (connection "${l.connection}"): srcroute never hears of that lease's renewals (NetworkManager 1.42.4 sends no event), and beside dhcpcd the modem hands out a second address`,
      fix: [`nmcli connection modify '${l.connection}' ipv4.method disabled && nmcli connection up '${l.connection}'   # dhcpcd leases it (sudo ./install.sh --parent ETH ${l.iface})`],
    });
  }
  return out;
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
