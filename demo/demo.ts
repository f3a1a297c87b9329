// `sudo npm run demo`: srcroute on a pretend cable modem, narrated. Builds the integration
// tests' lab (test/support/lab.ts: network namespaces "internet", "modem", "box", "lanrouter"),
// installs srcroute with install.sh into a private mount namespace of the box, runs real dnsmasq
// and dhcpcd, and shows at each event what srcroute did and whether the public address works.
// Everything lives in namespaces, overlays and temp dirs; all of it is removed at the end, also
// on Ctrl-C or an error. Nothing on the host changes.
import { resolve } from 'node:path';
import { GATEWAY, INTERNET_ADDR, Lab, LAN_ROUTER, leftoverNamespaces, waitFor } from '../test/support/lab.js';
import { missing } from '../test/support/prereq.js';

const REPO = resolve(process.env.SRCROUTE_REPO ?? process.cwd());
const IFACE = 'eth0v0';
const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);

let step = 0;
const heading = (title: string) => console.log(`\n${bold(`== ${++step}. ${title} ${'='.repeat(Math.max(3, 70 - title.length))}`)}`);
const say = (text: string) => console.log(text.replace(/^/gm, '   '));
const indent = (text: string) => text.replace(/^/gm, '     ');

let lab: Lab | undefined;
const srcrouteLog: string[] = [];

/** Show a command run in the box (inside the sandbox, so table and protocol names resolve) and its output. */
function showIp(...args: string[]): void {
  console.log(`   ${bold(`box# ip ${args.join(' ')}`)}`);
  const out = lab!.ipText(...args);
  console.log(indent(out === '' ? dim('(empty)') : out));
}

function showPings(addr: string, expect: boolean): void {
  const lines: [string, boolean][] = [
    [`internet# ping -c1 -W1 ${addr}`, lab!.pingFromInternet(addr) || lab!.pingFromInternet(addr)],
    [`box# ping -c1 -W1 -I ${addr} ${INTERNET_ADDR}`, lab!.pingFromBox(addr) || lab!.pingFromBox(addr)],
  ];
  for (const [cmd, ok] of lines) {
    const verdict = ok ? green('reply') : red('no reply');
    const note = ok === expect ? '' : red('   <-- unexpected!');
    console.log(`   ${bold(cmd)}  ->  ${verdict}${note}`);
  }
}

/** srcroute's lines reach us through dhcpcd's stderr, a moment after the event: wait for them briefly. */
async function showSrcrouteLog(): Promise<void> {
  await waitFor('srcroute log', () => srcrouteLog.length > 0, 2_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 150));
  const lines = srcrouteLog.splice(0);
  if (lines.length === 0) return;
  console.log(`   ${dim('srcroute logged (via dhcpcd\'s hook):')}`);
  console.log(indent(lines.join('\n')));
}

async function cleanup(): Promise<void> {
  const l = lab;
  lab = undefined;
  if (l) await l.destroy();
}

async function main(): Promise<number> {
  console.log(bold('srcroute demo: source routing for an extra public address from a cable modem'));
  const lacking = missing(['root', 'ip', 'dhcpcd', 'dnsmasq', 'ping', 'nsenter', 'unshare']);
  if (lacking.length) {
    console.error(`demo: missing: ${lacking.join(', ')}. Run it as root (sudo npm run demo) on a machine with dhcpcd-base, dnsmasq-base, iproute2, iputils-ping and util-linux.`);
    return 1;
  }

  heading('Build the lab (network namespaces; nothing on the host changes)');
  lab = Lab.create({
    macvlans: [IFACE],
    log: (line) => {
      const m = /^dhcpcd: (srcroute\[.*)$/.exec(line);
      if (m) srcrouteLog.push(m[1]!);
    },
  });
  say(
    [
      `internet (${INTERNET_ADDR}) -- modem (dnsmasq, gateway ${GATEWAY}, leases 100.64.0.0/24)`,
      `   -- box: eth0 with the macvlan ${IFACE} (02:00:00:aa:bb:01), which asks the modem for a public address`,
      `   -- box: lan0 to a LAN router (${LAN_ROUTER}) that holds the box's MAIN default route and forwards nothing.`,
      'So a reply from the public address that follows the main table dies at the LAN router.',
      `srcroute's job: "from <public address> lookup pub" with pub = default via the modem, dev ${IFACE}.`,
    ].join('\n'),
  );

  heading('Install srcroute into the box (install.sh, into overlays of /etc and /usr/local)');
  console.log(`   ${bold(`box# ./install.sh ${IFACE}`)}`);
  const inst = lab.install(REPO, [IFACE]);
  console.log(indent((inst.stdout + inst.stderr).trim().split('\n').filter((l) => l.startsWith('install.sh')).join('\n')));
  if (inst.code !== 0) {
    console.error(red(`install.sh failed (status ${inst.code}):\n${inst.stderr}`));
    return 1;
  }
  lab.recordEvents();
  say(dim('dhcpcd runs Debian\'s dhcpcd-run-hooks, which sources /etc/dhcpcd.exit-hook: srcroute\'s dispatcher is in it now.'));

  heading('Bind: the modem leases a public address');
  await lab.startDnsmasq();
  let m = lab.events().length;
  console.log(`   ${bold(`box# dhcpcd -f dhcpcd.conf -B   ${dim('(noarp, allowinterfaces eth0v0, nogateway)')}`)}`);
  await lab.startDhcpcd({ interfaces: [IFACE] });
  await lab.waitEvent('BOUND', IFACE, m);
  const addr = lab.address(IFACE)!;
  say(`dhcpcd: BOUND ${IFACE} ${addr}`);
  await showSrcrouteLog();
  showIp('rule');
  showIp('route', 'show', 'table', 'pub');
  showPings(addr, true);

  heading('Control: the same address without srcroute\'s rule');
  console.log(`   ${bold(`box# ip rule del from ${addr} lookup pub pref 1000`)}`);
  lab.box.ip('rule', 'del', 'from', addr, 'lookup', lab.tableOf(IFACE), 'pref', '1000');
  showPings(addr, false);
  say(dim('The replies took the main default route to the LAN router and died there. A renewal puts the rule back:'));
  m = lab.events().length;
  console.log(`   ${bold('box# kill -USR1 <dhcpcd>')}   ${dim('(renew every lease, like dhcpcd -N)')}`);
  await lab.renewAll([IFACE], m);
  await showSrcrouteLog();
  showIp('rule');
  showPings(addr, true);

  heading('Renumber: the ISP forgets the lease and serves another range; the cable blinks');
  await lab.startDnsmasq({ range: ['100.64.0.70', '100.64.0.79'], keepLeases: false });
  m = lab.events().length;
  say(dim('modem: dnsmasq restarted with 100.64.0.70-79 and no leases; cable down, up'));
  await lab.blink(500);
  await lab.waitEvent(/^BOUND eth0v0 100\.64\.0\.7\d$/, IFACE, m, 30_000);
  const addr2 = lab.address(IFACE)!;
  say(`dhcpcd: ${lab.events().slice(m).map((l) => l.split(' ').slice(0, 1).join('')).join(', ')}  ->  ${IFACE} is now ${addr2}`);
  await showSrcrouteLog();
  showIp('rule');
  showIp('route', 'show', 'table', 'pub');
  showPings(addr2, true);
  console.log(`   ${bold(`internet# ping -c1 -W1 ${addr}`)}  ->  ${lab.pingFromInternet(addr) ? red('reply') : green('no reply (the old address is gone)')}`);

  heading('Release: dhcpcd gives the lease back');
  m = lab.events().length;
  console.log(`   ${bold('box# dhcpcd -k')}`);
  const k = lab.dhcpcdCtl('-k');
  if (k.code !== 0) throw new Error(`dhcpcd -k failed: ${k.stderr}`);
  await lab.waitEvent(/^(STOP|STOPPED|RELEASE) eth0v0/, IFACE, m);
  await waitFor('dhcpcd to exit', () => !lab!.dhcpcd?.running, 10_000);
  await showSrcrouteLog();
  showIp('rule');
  showIp('route', 'show', 'table', 'pub');
  showPings(addr2, false);

  heading('Clean up: stop every process, remove the namespaces and overlays');
  await cleanup();
  const left = leftoverNamespaces();
  say(left.length ? red(`left behind: ${left.join(' ')}`) : green('done: namespaces, processes and overlays removed; nothing left behind.'));
  return 0;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\ndemo: ${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await cleanup();
    process.exitCode = code;
  })
  .catch(async (e: unknown) => {
    console.error(red(`demo failed: ${e instanceof Error ? e.message : String(e)}`));
    await cleanup();
    process.exitCode = 1;
  });
