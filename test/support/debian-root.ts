// The Debian releases the stack labs run on. Debian 12 is this machine's own system (its programs
// are used as installed, by .ci/run's package list). Debian 13 (trixie: NetworkManager 1.52,
// networkd 257, ifupdown 0.8.44 with dhcpcd 10.1, dhcpcd.service as trixie ships it, Debian's
// Node 20) is a root filesystem that mmdebstrap makes from Debian's archive, through the mirror
// this machine's apt already uses (read from /etc/apt/sources.list*, never written). The labs run
// the box chrooted into it (sandbox.ts: `root`), so every program, unit file and library the box
// runs is trixie's; the namespaces around it (modem, internet, LAN router) keep the host's.
//
// Built once into a cache outside the tree, keyed by everything that goes into it
// (/var/cache/srcroute-test/trixie-<sha256 of suite, variant and packages>), into a temp directory
// renamed into place: concurrent runs each build, the first rename wins. Measured on the CI
// machine: 17 s from nothing (326 MB), nothing when cached. vitest's globalSetup (the default
// export) builds it; tests get the path through inject('debianRoots') (stack-lab.ts: releaseRoot).
// No mmdebstrap or no mirror: under CI=true the run fails; outside CI the trixie suites are
// skipped (describe.skipIf) and the reason is printed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export type Release = 'debian-12' | 'debian-13';

/** The releases every stack lab runs on, in order. */
export const RELEASES: readonly Release[] = ['debian-12', 'debian-13'];

/** What the box needs on trixie: the stacks, their DHCP clients, the tools install.sh and the labs run in it. */
export const TRIXIE = {
  suite: 'trixie',
  variant: 'essential',
  packages: [
    'systemd', 'dbus-daemon', 'network-manager', 'ifupdown', 'dhcpcd-base', 'dhcpcd', 'isc-dhcp-client',
    'iproute2', 'iputils-ping', 'procps', 'mount', 'nodejs', 'ca-certificates',
    // the labs' own tools inside the box: unit-sandbox.ts's journal and seccomp-exec.py
    'python3', 'python3-seccomp',
  ],
} as const;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Root filesystem per release (null: the host's own; a string starting with "!": why there is none). */
    debianRoots: Record<Release, string | null>;
  }
}

export const CACHE = '/var/cache/srcroute-test';

/** The cache directory for TRIXIE as it is now: any change to the list is a new rootfs. */
export function trixieDir(): string {
  const key = createHash('sha256').update(JSON.stringify(TRIXIE)).digest('hex').slice(0, 12);
  return join(CACHE, `${TRIXIE.suite}-${key}`);
}

/** The Debian mirror this machine's apt uses for its own release (first `deb` URI naming the codename). */
export function hostMirror(): string {
  const codename = /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [])].filter(existsSync);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    // deb822 stanzas, then one-line entries
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.*)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uri && /^Types:.*\bdeb\b/m.test(stanza) && codename && suites.includes(codename)) return uri;
    }
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) if (m[2] === codename) return m[1]!;
  }
  throw new Error(`no apt source for ${codename ?? 'this release'} in /etc/apt/sources.list*`);
}

/** The trixie root, built when missing. Returns its path. */
export function trixieRoot(): string {
  const dir = trixieDir();
  if (existsSync(join(dir, 'usr/bin/node'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, `.${TRIXIE.suite}-`));
  try {
    // mmdebstrap wants a missing or empty target; the temp dir is empty
    execFileSync('mmdebstrap', ['--quiet', `--variant=${TRIXIE.variant}`, `--include=${TRIXIE.packages.join(',')}`, TRIXIE.suite, tmp, hostMirror()], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 900_000,
    });
    renameSync(tmp, dir);
  } catch (e) {
    if (!existsSync(join(dir, 'usr/bin/node'))) throw e; // else another run renamed its copy into place first
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

function debian13(): string {
  try {
    return trixieRoot();
  } catch (e) {
    const why = `no Debian 13 root filesystem for the labs: ${e instanceof Error ? e.message : String(e)}`;
    if (process.env.CI === 'true') throw new Error(`${why} (required under CI=true)`);
    console.warn(`SKIP the Debian 13 lab runs: ${why}`);
    return `!${why}`;
  }
}

export default function setup(project: TestProject): void {
  project.provide('debianRoots', { 'debian-12': null, 'debian-13': debian13() });
}
