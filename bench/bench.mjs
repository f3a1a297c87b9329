#!/usr/bin/env node
// `sudo npm run bench`: what srcroute costs dhcpcd per lease event, measured on a real kernel.
// dhcpcd waits for its hooks, so the number that matters is wall time per event next to the
// floor, Node's own start (`node -e 0`), timed in the same rounds, interleaved, so that machine
// noise hits every variant alike. The hook is timed as installed: the #! line dhcpcd really runs
// (`/usr/bin/env -S NODE --jitless --no-expose-wasm`), next to a floor started the same way. Also: child processes per event (strace), peak RSS (GNU time),
// the original two-command shell hook for comparison, and a BOUND with 10,000 foreign rules and
// routes in the kernel next to one on an empty kernel. IPv6: a BOUND6 that adds a rule, and
// dhcpcd's ROUTERADVERT (sent for every RA received) unchanged, which the dispatcher's sh gate
// must answer without Node and without a fork, and changed (one SLAAC address more), which runs Node.
// Wall time moves with the machine's load; instructions do not (much): BOUND, RENEW and the loaded
// BOUND are also counted under valgrind's callgrind (node, its ip child, everything the hook
// starts: --trace-children=yes; this machine has no hardware counters for `perf stat`), next to
// the same floor and baseline, the median of BENCH_CG_ROUNDS rounds (default 3; 0 skips them).
// V8's hash-seed prime search (random: 4-14 million instructions) is taken out of every count.
//
// It builds its own world and removes it: two network namespaces, and the test suite's sandbox
// (test/support/sandbox.ts, the labs' and the demo's too) in the first: overlays over /etc,
// /usr/local and /var/lib and an empty /run, so install.sh can install for real and the host
// never sees a write. Results: a table on stdout and bench/results/latest.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTs } from '../test/support/import-ts.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const FOREIGN = 10_000;
const CG_ROUNDS = Number(process.env.BENCH_CG_ROUNDS ?? 3);

const lease = {
  interface: 'eth0v0', protocol: 'dhcp', new_ip_address: '100.64.0.50', new_subnet_cidr: '24',
  new_subnet_mask: '255.255.255.0', new_routers: '100.64.0.1', new_broadcast_address: '100.64.0.255',
};
const old = Object.fromEntries(Object.entries(lease).filter(([k]) => k.startsWith('new_')).map(([k, v]) => [k.replace('new_', 'old_'), v]));
const EVENTS = {
  BOUND: { reason: 'BOUND', ...lease },
  RENEW: { reason: 'RENEW', ...lease, ...old },
  EXPIRE: { reason: 'EXPIRE', interface: 'eth0v0', protocol: 'dhcp', ...old },
  PREINIT: { reason: 'PREINIT', interface: 'eth0v0', protocol: 'link' },
};
// IPv6, as dhcpcd 9.4.1 reports it (test/fixtures/dhcpcd6-*): a DHCPv6 address, and RAs from
// fe80::1 for 2001:db8:1:1::/64 received just now (nd1_acquired = nd1_now), listing the SLAAC
// addresses given. The same pid in every event: it is part of the gate's signature.
const IA_NA = '2001:db8:1:1::100';
const SLAAC = ['2001:db8:1:1::a', '2001:db8:1:1::b'];
const v6 = { interface: 'eth0v0', pid: '4242', if_up: 'true', if_down: 'false' };
const ia = (side) => ({
  [`${side}_dhcp6_ia_na1_ia_addr1`]: IA_NA, [`${side}_dhcp6_ia_na1_ia_addr1_vltime`]: '120',
  [`${side}_dhcp6_ia_na1_ia_addr1_pltime`]: '120', [`${side}_dhcp6_ia_na1_iaid`]: '00aabb01',
});
const ra = (addrs) => ({
  reason: 'ROUTERADVERT', protocol: 'ra', ...v6, nd1_from: 'fe80::1', nd1_lifetime: '1800', nd1_flags: 'MO',
  nd1_acquired: '6000', nd1_now: '6000', nd1_hoplimit: '64', nd1_mtu: '1500',
  nd1_prefix_information1_prefix: '2001:db8:1:1::', nd1_prefix_information1_length: '64',
  nd1_prefix_information1_flags: 'LA', nd1_prefix_information1_vltime: '120', nd1_prefix_information1_pltime: '120',
  ...Object.fromEntries(addrs.map((a, i) => [`nd1_addr${i + 1}`, `${a}/64`])),
});
const EVENTS6 = {
  BOUND6: { reason: 'BOUND6', protocol: 'dhcp6', ...v6, ...ia('new') },
  RELEASE6: { reason: 'RELEASE6', protocol: 'dhcp6', ...v6, if_up: 'false', if_down: 'true', ...ia('old') },
  RA: ra(SLAAC.slice(0, 1)),
  RA_MORE: ra(SLAAC),
};

function sh(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (opts.check !== false && r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r;
}

const envList = (vars) => Object.entries({ PATH, ...vars }).map(([k, v]) => `${k}=${v}`);

// ---- outside: namespaces, then re-run this script inside them --------------------------------
if (process.argv[2] !== '--inner') {
  if (process.getuid() !== 0) {
    console.error('bench: needs root (network and mount namespaces): sudo npm run bench');
    process.exit(2);
  }
  for (const tool of ['strace', '/usr/bin/time', 'unshare', 'nsenter', 'ip', 'valgrind']) {
    if (sh(['sh', '-c', `command -v ${tool}`], { check: false }).status !== 0) {
      console.error(`bench: ${tool} is missing (apt-get install strace time util-linux iproute2 valgrind)`);
      process.exit(2);
    }
  }
  process.exitCode = await outer();
} else {
  await inner(process.argv[3], process.argv[4]);
}

/**
 * Two boxes (network namespaces named by test/support/netns.ts, swept after a crash), the second
 * with somebody else's 10,000 rules and routes, and this script again inside the test suite's
 * sandbox in the first (test/support/sandbox.ts: private /etc, /usr/local, /var/lib and /run,
 * with the host's /run/netns read-only for `ip netns exec`). Resolves to the inner run's exit code.
 */
async function outer() {
  const { Sandbox, boxWithMacvlans } = await importTs(['test/support/sandbox.ts', 'test/support/netns.ts'], 'bench');
  const spaces = [];
  let box;
  try {
    for (let i = 0; i < 2; i++) spaces.push(boxWithMacvlans(['eth0v0']));
    for (const ns of spaces) ns.ip('addr', 'add', '100.64.0.50/24', 'dev', 'eth0v0');
    const batch = [];
    for (let i = 0; i < FOREIGN; i++) {
      const a = `10.${(i >> 8) & 255}.${i & 255}`;
      batch.push(`rule add from ${a}.1 lookup ${200 + (i % 50)} priority ${2000 + (i % 20000)}`);
      batch.push(`route add ${a}.0/24 dev eth0 table ${200 + (i % 50)}`);
    }
    sh(['ip', '-n', spaces[1].name, '-batch', '-'], { input: `${batch.join('\n')}\n` });
    box = Sandbox.start({ netns: spaces[0].name, netnsDir: true });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')));
    const child = box.spawn([process.execPath, fileURLToPath(import.meta.url), '--inner', spaces[0].name, spaces[1].name], env);
    child.stdout.pipe(process.stdout);
    child.stderr.pipe(process.stderr);
    return await new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    await box?.stop();
    for (const ns of spaces) ns.destroy();
  }
}

// ---- inside: netns A (empty kernel), private /etc with srcroute installed -------------------
async function inner(emptyNs, loadedNs) {
  const install = sh([join(repo, 'install.sh'), '--node', process.execPath, 'eth0v0'], { cwd: repo, check: false });
  if (install.status !== 0) throw new Error(`install.sh failed: ${install.stderr || install.stdout}`);
  // TIMEOUT at its most (10 s): under callgrind on a loaded machine ip took more than the default 5
  writeFileSync('/etc/srcroute/srcroute.env', 'TABLE=123\nTIMEOUT=10\n');
  const hook = '/etc/dhcpcd/eth0v0.exit-hook';
  const bundle = join(repo, 'dist', 'srcroute.cjs');
  const command = '/usr/local/sbin/srcroute'; // the same bundle, run by node with its JIT
  const shebang = sh(['head', '-n', '1', hook]).stdout.trim();
  // As dhcpcd-run-hooks does: a shell that sources /etc/dhcpcd.exit-hook with the event's variables.
  const viaDispatcher = (vars) => ['env', '-i', ...envList(vars), 'sh', '-c', '. /etc/dhcpcd.exit-hook'];
  const direct = (vars) => ['env', '-i', ...envList(vars), hook];
  const withJit = (vars) => ['env', '-i', ...envList(vars), command];
  const scratch = mkdtempSync(join(tmpdir(), 'srcroute-bench-inner-'));
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  const original = join(scratch, 'IFACE.exit-hook');
  // Lock files go to the scratch dir, not the host's /run (this mount namespace shares it).
  for (const event of [...Object.values(EVENTS), ...Object.values(EVENTS6)]) event.SRCROUTE_STATE_DIR = join(scratch, 'state');
  // The original guide's hook, as it was (no priority, `new_router`, which dhcpcd never sets).
  writeFileSync(original, '#!/bin/sh\nip rule add from $new_ip_address table 123\nip route add default via $new_router table 123\n', { mode: 0o755 });
  const undoOriginal = () => {
    sh(['ip', 'rule', 'del', 'from', '100.64.0.50', 'table', '123'], { check: false });
    sh(['ip', 'route', 'del', 'default', 'table', '123'], { check: false });
  };

  const time = (argv) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
    return ms;
  };
  const inNs = (ns, argv) => ['ip', 'netns', 'exec', ns, ...argv];
  // As dhcpcd does, untimed: the lease's address leaves the interface before a down hook (a hook
  // keeps the rule of an address that stays) and is back before an up hook.
  const leased = (on, ns) => sh([...(ns ? ['ip', '-n', ns] : ['ip']), 'addr', on ? 'add' : 'del', '100.64.0.50/24', 'dev', 'eth0v0']);
  const expire = (argv, ns) => { leased(false, ns); const ms = time(argv); leased(true, ns); return ms; };

  // IPv6 on eth0v0 as dhcpcd leaves it: the SLAAC addresses (the second one only while an RA
  // lists it), and the DHCPv6 /128 added before BOUND6 and deleted before RELEASE6.
  const ip6 = (...a) => sh(['ip', '-6', ...a]);
  ip6('addr', 'add', `${SLAAC[0]}/64`, 'dev', 'eth0v0', 'nodad');
  const slaacMore = (on) => ip6('addr', on ? 'add' : 'del', `${SLAAC[1]}/64`, 'dev', 'eth0v0', 'nodad');
  const iaNa = (on) => ip6('addr', on ? 'add' : 'del', `${IA_NA}/128`, 'dev', 'eth0v0', 'nodad', 'noprefixroute');
  // The router's default in the table and the stored RA signature both come from this first RA.
  time(viaDispatcher(EVENTS6.RA));

  // Node, run the way a hook is (env -i: an inherited NODE_EXTRA_CA_CERTS alone costs ~40 ms of
  // startup here and would flatter every ratio), and Node starting one `ip -batch` child and
  // reading its answers: the floor for any Node hook that talks to the kernel.
  const floorJs = [
    "const c = require('child_process').spawn('ip', ['-4', '-N', '-j', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });",
    "let n = 0; c.stdout.on('data', (d) => { n += String(d).split('\\n').length - 1; if (n >= 2) c.stdin.end(); });",
    "c.stdin.write('rule show table 123\\nroute show table all proto 213\\n');",
  ].join('\n');
  const floorScript = join(scratch, 'floor.js');
  writeFileSync(floorScript, floorJs);
  // the same floor behind the hooks' own #! line: what any hook started that way costs
  const hookFloor = join(scratch, 'floor-as-hook.js');
  writeFileSync(hookFloor, `${shebang}\n${floorJs}\n`, { mode: 0o755 });
  const variants = {
    'node -e 0': { run: () => time(['env', '-i', `PATH=${PATH}`, process.execPath, '-e', '0']) },
    'node + one ip child (the floor)': { run: () => time(['env', '-i', `PATH=${PATH}`, process.execPath, floorScript]) },
    'the floor behind the hooks\' #! (jitless)': { run: () => time(['env', '-i', `PATH=${PATH}`, hookFloor]) },
    'BOUND (changes routing)': { run: () => time(viaDispatcher(EVENTS.BOUND)), argv: direct(EVENTS.BOUND) },
    'RENEW (no change)': { run: () => time(viaDispatcher(EVENTS.RENEW)), argv: direct(EVENTS.RENEW) },
    'EXPIRE (removes)': { run: () => expire(viaDispatcher(EVENTS.EXPIRE)), argv: direct(EVENTS.EXPIRE) },
    'PREINIT (ignored)': { run: () => time(viaDispatcher(EVENTS.PREINIT)), argv: direct(EVENTS.PREINIT) },
    'original 2-command hook': {
      run: () => { const ms = time(['env', '-i', ...envList({ ...EVENTS.BOUND, new_router: '100.64.0.1' }), original]); undoOriginal(); return ms; },
    },
    'BOUND, empty kernel (direct)': {
      run: () => { const ms = time(direct(EVENTS.BOUND)); expire(direct(EVENTS.EXPIRE)); return ms; },
      baseline: 'the floor behind the hooks\' #! (jitless)', label: 'floor',
    },
    'RENEW (direct)': {
      run: () => { time(direct(EVENTS.BOUND)); const ms = time(direct(EVENTS.RENEW)); expire(direct(EVENTS.EXPIRE)); return ms; },
      baseline: 'the floor behind the hooks\' #! (jitless)', label: 'floor',
    },
    'RENEW (direct) with the JIT': {
      run: () => { time(direct(EVENTS.BOUND)); const ms = time(withJit(EVENTS.RENEW)); expire(direct(EVENTS.EXPIRE)); return ms; },
      baseline: 'node + one ip child (the floor)', label: 'floor',
    },
    // the loaded kernel and its baseline both through `ip netns exec` (its setns, mount namespace
    // and exec cost a few ms), so that the two differ only in what the kernel holds
    'BOUND, empty kernel (ip netns exec)': {
      run: () => { const ms = time(inNs(emptyNs, direct(EVENTS.BOUND))); expire(inNs(emptyNs, direct(EVENTS.EXPIRE)), emptyNs); return ms; },
    },
    [`BOUND, ${FOREIGN / 1000}k foreign rules+routes (ip netns exec)`]: {
      run: () => { const ms = time(inNs(loadedNs, direct(EVENTS.BOUND))); expire(inNs(loadedNs, direct(EVENTS.EXPIRE)), loadedNs); return ms; },
      baseline: 'BOUND, empty kernel (ip netns exec)', label: 'empty',
    },
    // Each v6 row leaves the kernel and the stored RA signature as it found them (prepare, undo).
    'BOUND6 (adds a rule)': {
      argv: viaDispatcher(EVENTS6.BOUND6),
      prepare: () => iaNa(true),
      undo: () => { iaNa(false); time(viaDispatcher(EVENTS6.RELEASE6)); },
    },
    'ROUTERADVERT unchanged (sh gate)': { argv: viaDispatcher(EVENTS6.RA) },
    'ROUTERADVERT changed (+1 address)': {
      argv: viaDispatcher(EVENTS6.RA_MORE),
      prepare: () => slaacMore(true),
      undo: () => { slaacMore(false); time(viaDispatcher(EVENTS6.RA)); },
    },
  };
  for (const v of Object.values(variants)) {
    if (v.run) continue;
    v.run = () => { v.prepare?.(); const ms = time(v.argv); v.undo?.(); return ms; };
  }
  // The v6 rows measure what they say: the first RA put its address's rule in place, the changed
  // RA and BOUND6 add one (and their undo removes it), the unchanged RA is skipped by the gate.
  const rules6 = () => JSON.parse(sh(['ip', '-6', '-j', 'rule', 'show', 'table', '123']).stdout || '[]').map((r) => r.src);
  if (!rules6().includes(SLAAC[0])) throw new Error('bench: the first ROUTERADVERT installed no IPv6 rule (no IPv6 support?)');
  for (const [name, addr] of [['BOUND6 (adds a rule)', IA_NA], ['ROUTERADVERT changed (+1 address)', SLAAC[1]]]) {
    const v = variants[name];
    v.prepare();
    time(v.argv);
    const added = rules6().includes(addr);
    v.undo();
    if (!added || rules6().includes(addr)) throw new Error(`bench: ${name} did not add, then remove, the rule from ${addr}`);
  }
  // Per event processes spawned by the hook itself (the node process excluded), and peak RSS.
  // strace goes between `env -i VARS` and the hook, so its first execves are the hook itself
  // (env -S, then node: two when the #! line goes through env).
  const launcherExecs = shebang.startsWith('#!/usr/bin/env ') ? 2 : 1;
  const children = (argv) => {
    const at = argv.includes(hook) ? argv.indexOf(hook) : argv.indexOf('sh');
    const traced = [...argv.slice(0, at), 'strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', ...argv.slice(at)];
    const r = sh(traced, { check: false });
    return (r.stderr.match(/execve\(/g) ?? []).length - (argv.includes(hook) ? launcherExecs : 1); // or sh, for the dispatcher
  };
  const peakKb = (argv) => Number(sh(['/usr/bin/time', '-f', '%M', ...argv], { check: false }).stderr.trim().split('\n').pop());

  for (let i = 0; i < 3; i++) for (const v of Object.values(variants)) v.run(); // warm caches
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, v] of Object.entries(variants)) samples[name].push(v.run());

  const extra = {};
  for (const [name, v] of Object.entries(variants)) {
    if (!v.argv) continue;
    if (v.prepare || v.undo) {
      v.prepare?.();
      extra[name] = { children: children(v.argv) };
      v.undo?.();
      v.prepare?.();
      extra[name].peakRssKb = peakKb(v.argv);
      v.undo?.();
      continue;
    }
    const isExpire = name.startsWith('EXPIRE');
    if (isExpire || name.startsWith('RENEW')) time(direct(EVENTS.BOUND));
    if (name.startsWith('BOUND')) expire(direct(EVENTS.EXPIRE));
    if (isExpire) leased(false);
    extra[name] = { children: children(v.argv) };
    if (isExpire) leased(true);
    if (isExpire || name.startsWith('RENEW')) time(direct(EVENTS.BOUND));
    if (name.startsWith('BOUND')) expire(direct(EVENTS.EXPIRE));
    if (isExpire) leased(false);
    extra[name].peakRssKb = peakKb(v.argv);
    if (isExpire) leased(true);
  }
  expire(direct(EVENTS.EXPIRE));
  const nodePeak = peakKb(['env', '-i', `PATH=${PATH}`, process.execPath, '-e', '0']);

  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
    return { median: q(0.5), p90: q(0.9) };
  };
  const floor = stat(samples['node -e 0']).median;
  const rows = Object.entries(samples).map(([name, xs]) => {
    const { median, p90 } = stat(xs);
    const base = variants[name].baseline;
    return {
      name, median, p90, ratio: median / floor,
      ...(base ? { ratioToBaseline: median / stat(samples[base]).median, baseline: base } : {}),
      ...(extra[name] ?? {}),
    };
  });
  const instructions = countInstructions({ scratch, hookFloor, direct, inNs, expire, time, emptyNs, loadedNs, stat });
  const result = {
    date: new Date().toISOString(), node: process.version, rounds: ROUNDS,
    bundleBytes: statSync(bundle).size, hookBundleBytes: statSync(join(repo, 'dist', 'hook.cjs')).size, hookShebang: shebang, nodePeakRssKb: nodePeak, rows,
    instructions,
  };

  const pad = (s, n) => String(s).padEnd(n);
  console.log(`srcroute bench: ${ROUNDS} rounds, interleaved; ${process.version}; bundle ${result.bundleBytes} bytes, the hooks' ${result.hookBundleBytes}`);
  console.log(`${pad('variant', 44)}${pad('median ms', 11)}${pad('p90 ms', 9)}${pad('x node', 8)}${pad('children', 10)}peak RSS`);
  for (const r of rows) {
    const rss = r.peakRssKb ? `${(r.peakRssKb / 1024).toFixed(1)} MB` : '';
    const ratio = r.ratioToBaseline ? `${r.ratio.toFixed(2)} (${r.ratioToBaseline.toFixed(2)}x ${variants[r.name].label})` : r.ratio.toFixed(2);
    console.log(`${pad(r.name, 44)}${pad(r.median.toFixed(1), 11)}${pad(r.p90.toFixed(1), 9)}${pad(ratio, 8)}  ${pad(r.children ?? '', 8)}${rss}`);
  }
  console.log(`node -e 0 peak RSS: ${(nodePeak / 1024).toFixed(1)} MB`);
  if (instructions.length) {
    console.log(`instructions (callgrind, the hook or floor and every child; less V8's random hash-seed prime search; median of ${CG_ROUNDS} rounds)`);
    for (const r of instructions) console.log(`${pad(r.name, 44)}${pad(r.median.toLocaleString('en'), 16)}${r.ratio.toFixed(3)}x ${r.baseline}`);
  }
  const out = join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written: bench/results/latest.json`);
}

/**
 * Every valgrind'd process's instructions in `dir`, once all have ended (60 s at most), less V8's
 * search for a prime for its random hash seed (`detail::sprp`, under HashSeed::InitializeRoots,
 * once per process): 4 to 14 million instructions by the seed's luck, as much as the difference
 * measured, so it is taken out of every count, the floor's included.
 */
function collected(dir) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const logs = readdirSync(dir).filter((f) => f.startsWith('log.'));
    const totals = logs.map((f) => Number(/Collected : (\d+)/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? NaN));
    if (totals.every(Number.isFinite)) return logs.map((f, i) => totals[i] - primeSearch(join(dir, f.replace('log.', 'cg.'))));
    if (Date.now() > deadline) throw new Error(`bench: a process under callgrind did not end within 60 s (${dir})`);
    spawnSync('sleep', ['0.2']);
  }
}

/** The instructions of V8's hash-seed prime search in one callgrind profile (0 in ip's). */
function primeSearch(profile) {
  if (!existsSync(profile)) return 0; // a process that exec'd another: its profile is the new program's
  const r = spawnSync('callgrind_annotate', ['--threshold=100', profile], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`callgrind_annotate ${profile}: ${r.error ?? r.stderr}`);
  const m = /^\s*([\d,]+) \([^)]*\)\s+\S*detail::sprp\(/m.exec(r.stdout);
  return m ? Number(m[1].replaceAll(',', '')) : 0;
}

/**
 * Instructions executed, under callgrind with --trace-children=yes (so node, its `ip` child and
 * anything else the hook starts), for BOUND and RENEW next to the floor behind the hooks' #!, and
 * for the loaded kernel's BOUND next to the empty one's (both through `ip netns exec`, which is
 * not counted: valgrind goes in front of the hook). Each round runs every row once; the median
 * of CG_ROUNDS rounds. Returns a row per measured variant with its ratio to its baseline.
 */
function countInstructions({ scratch, hookFloor, direct, inNs, expire, time, emptyNs, loadedNs, stat }) {
  if (CG_ROUNDS <= 0) return [];
  const floorName = 'the floor behind the hooks\' #! (jitless)';
  const emptyName = 'BOUND, empty kernel (ip netns exec)';
  const rows = {
    [floorName]: { argv: ['env', '-i', `PATH=${PATH}`, hookFloor] },
    'BOUND, empty kernel (direct)': { argv: direct(EVENTS.BOUND), undo: () => expire(direct(EVENTS.EXPIRE)), baseline: floorName },
    'RENEW (direct)': {
      argv: direct(EVENTS.RENEW), prepare: () => time(direct(EVENTS.BOUND)), undo: () => expire(direct(EVENTS.EXPIRE)), baseline: floorName,
    },
    [emptyName]: { argv: inNs(emptyNs, direct(EVENTS.BOUND)), undo: () => expire(inNs(emptyNs, direct(EVENTS.EXPIRE)), emptyNs) },
    [`BOUND, ${FOREIGN / 1000}k foreign rules+routes (ip netns exec)`]: {
      argv: inNs(loadedNs, direct(EVENTS.BOUND)), undo: () => expire(inNs(loadedNs, direct(EVENTS.EXPIRE)), loadedNs), baseline: emptyName,
    },
  };
  // One run under callgrind: its instructions and processes, or undefined when the hook gave up
  // on an ip that valgrind slowed past TIMEOUT (10 s: a loaded machine) and the run is void.
  // A hook with nothing to apply exits without waiting for its ip (kernel/ip-batch.ts), which
  // then ends on its own, later: each process's log is written when it starts and says
  // `Collected : N` when it ends, so the count waits for every log to say it (RENEW read a
  // half-written profile before: NaN).
  const count = (argv) => {
    const out = mkdtempSync(join(scratch, 'cg-'));
    const cg = ['valgrind', '--tool=callgrind', '--trace-children=yes', `--callgrind-out-file=${out}/cg.%p`, `--log-file=${out}/log.%p`];
    const r = sh([...argv.slice(0, -1), ...cg, argv.at(-1)], { stdio: ['ignore', 'ignore', 'pipe'], check: false });
    const totals = collected(out);
    rmSync(out, { recursive: true, force: true });
    if (r.status === 0) return { total: totals.reduce((n, t) => n + t, 0), processes: totals.length, each: totals.sort((a, b) => b - a) };
    if (/did not finish within \d+s; killed it/.test(r.stderr)) return undefined;
    throw new Error(`${argv.join(' ')} under callgrind: exit ${r.status}: ${r.stderr}`);
  };
  const samples = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  const processes = {};
  const each = {}; // the last round's instructions per process, largest (node) first
  let voided = 0;
  for (let round = 0; round < CG_ROUNDS; round++) {
    for (const [name, v] of Object.entries(rows)) {
      for (let got; !got; voided += got ? 0 : 1) {
        if (voided > 10 * CG_ROUNDS) throw new Error('bench: callgrind runs keep timing out (too loaded a machine?)');
        v.prepare?.();
        got = count(v.argv);
        v.undo?.();
        if (got) samples[name].push(got.total), (processes[name] = got.processes), (each[name] = got.each);
      }
    }
  }
  if (voided) console.error(`bench: ${voided} callgrind run(s) voided (ip past TIMEOUT under valgrind) and run again`);
  const median = (name) => stat(samples[name]).median;
  return Object.entries(rows).filter(([, v]) => v.baseline).map(([name, v]) => ({
    name, median: median(name), baseline: v.baseline, baselineMedian: median(v.baseline), ratio: median(name) / median(v.baseline),
    processes: processes[name], samples: samples[name], baselineSamples: samples[v.baseline],
    perProcess: each[name], baselinePerProcess: each[v.baseline],
  }));
}
