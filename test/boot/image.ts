// The boot test's guest images: one bootable root filesystem per Debian release and stack, made
// with mmdebstrap from the Debian mirror this machine's apt uses (debian-root.ts: hostMirror), as a
// stock box of that stack (cells.ts): ifupdown with Debian's own DHCP client, NetworkManager with
// a profile for the LAN, or systemd-networkd with a .network for it; systemd as PID 1, Debian's
// kernel and nodejs, what the .deb depends on (the guest reaches no mirror: apt installs it from
// what is there), dhcpcd-base where srcroute's srcroute-dhcpcd@ unit leases (NM, networkd), plus
// the test's agent (guest/agent.sh, a systemd unit). Cached in
// /var/cache/srcroute-test/boot-<release>-<stack>-<sha256 of everything that defines the image>/ as
// root.img (raw ext4, sparse), vmlinuz and initrd.img (qemu boots them directly). Built into a
// temp directory renamed into place, so a run that dies leaves no half image behind. A run boots
// a qcow2 overlay on root.img (vm.ts): the cached image is never written.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CACHE, hostMirror } from '../support/debian-root.js';

import { RELEASES, STACKS, type BootRelease, type BootStack } from './cells.js';

export interface ReleaseSpec {
  suite: string;
  /** ifupdown's DHCP client on this release as Debian installs it. */
  client: 'isc-dhcp-client' | 'dhcpcd-base';
  /** Debian's nodejs major version there. */
  node: number;
}

export const SPECS: Record<BootRelease, ReleaseSpec> = {
  'debian-12': { suite: 'bookworm', client: 'isc-dhcp-client', node: 18 },
  'debian-13': { suite: 'trixie', client: 'dhcpcd-base', node: 20 },
};

const GUEST = resolve(__dirname, 'guest');

/** Per stack: its packages, the guest/ files that configure the LAN (the path in the image), what the image runs once. */
const STACK_IMAGE: Record<BootStack, (spec: ReleaseSpec) => { packages: string[]; files: Record<string, string>; hooks: string[] }> = {
  ifupdown: (spec) => ({ packages: ['ifupdown', spec.client], files: { '/etc/network/interfaces': 'interfaces' }, hooks: [] }),
  nm: () => ({
    // ifupdown: Debian installs it on every box (priority important), and without it NetworkManager's
    // own dispatcher script 01-ifupdown exits 1 on every event ("failed to open directory /etc/network/if-up.d")
    packages: ['network-manager', 'dbus', 'dhcpcd-base', 'ifupdown'],
    files: {
      '/etc/NetworkManager/system-connections/lan.nmconnection': 'lan.nmconnection',
      '/etc/NetworkManager/conf.d/90-srbt-stock.conf': 'nm-stock.conf',
    },
    hooks: [],
  }),
  networkd: () => ({
    // dbus: networkctl talks to networkd over it ("Failed to connect to system bus" without)
    packages: ['dhcpcd-base', 'dbus'],
    files: { '/etc/systemd/network/20-lan.network': 'lan.network' },
    hooks: ['chroot "$1" systemctl enable systemd-networkd.service'],
  }),
};

/**
 * What the services cells add (cells.ts, services.ts): Debian's Docker (dockerd enabled, as its
 * package leaves it); apparmor, which Debian's kernel package recommends (so every installed box
 * has it) and without which dockerd refuses to start a container on a kernel with AppArmor on
 * ("apparmor_parser: executable file not found"); busybox-static, whose one static binary is the
 * whole root filesystem of the container the test imports from a tarball (no registry).
 */
const SERVICES_PACKAGES = ['docker.io', 'apparmor', 'busybox-static'];
/** Where Debian's docker.io only recommends its command (trixie: the separate docker-cli). */
const SERVICES_EXTRA: Record<BootRelease, string[]> = { 'debian-12': [], 'debian-13': ['docker-cli'] };

/** Everything that goes into a release's image for a stack; its hash names the cache directory. */
function definition(release: BootRelease, stack: BootStack, services = false) {
  const spec = SPECS[release];
  const own = STACK_IMAGE[stack](spec);
  const guest = (f: string) => readFileSync(join(GUEST, f), 'utf8');
  // without services, the definition (and so its hash, the cached image) is what it was before the variant
  const extra = services ? [...SERVICES_PACKAGES, ...SERVICES_EXTRA[release]] : [];
  return {
    format: 3, // bump when the code below changes what it builds
    suite: spec.suite,
    stack,
    variant: 'minbase',
    packages: [
      'systemd-sysv', 'udev', 'kmod', 'linux-image-amd64', 'initramfs-tools', 'nodejs', 'iproute2', 'nftables',
      'iputils-ping', 'procps', ...own.packages, ...extra,
    ],
    sizeMiB: 3072,
    agent: { 'agent.sh': guest('agent.sh'), 'srbt-agent.service': guest('srbt-agent.service') },
    files: Object.fromEntries(Object.entries(own.files).map(([path, f]) => [path, guest(f)])),
    hooks: own.hooks,
  };
}
type Definition = ReturnType<typeof definition>;

export interface Image {
  dir: string;
  root: string;
  kernel: string;
  initrd: string;
}

export function imageDir(release: BootRelease, stack: BootStack, services = false): string {
  const def = definition(release, stack, services);
  const key = createHash('sha256').update(JSON.stringify(def)).digest('hex').slice(0, 12);
  return join(CACHE, `boot-${release}-${stack}${services ? '-services' : ''}-${key}`);
}

function image(dir: string): Image {
  return { dir, root: join(dir, 'root.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
}

function cached(dir: string): boolean {
  return ['root.img', 'vmlinuz', 'initrd.img'].every((f) => existsSync(join(dir, f)));
}

/**
 * The release's image for a stack (with services: Docker in it), built when it is not cached
 * (minutes: mmdebstrap, then mkfs.ext4 -d).
 */
export function bootImage(
  release: BootRelease, stack: BootStack, services: boolean, log: (line: string) => void = () => {},
): Image {
  const dir = imageDir(release, stack, services);
  if (cached(dir)) return image(dir);
  const def = definition(release, stack, services);
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, `.boot-${release}-${stack}-`));
  const rootfs = join(tmp, 'rootfs');
  try {
    log(`building ${dir} (mmdebstrap ${def.suite}, then mkfs.ext4)`);
    execFileSync('mmdebstrap', [
      '--quiet', `--variant=${def.variant}`, '--aptopt=APT::Install-Recommends "false"',
      `--include=${def.packages.join(',')}`, ...def.hooks.map((h) => `--customize-hook=${h}`), def.suite, rootfs, hostMirror(),
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 1_800_000 });
    customize(rootfs, release, def);
    const boot = readdirSync(join(rootfs, 'boot'));
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!kernel || !initrd) throw new Error(`no kernel or initrd in ${rootfs}/boot: ${boot.join(' ')}`);
    copyFileSync(join(rootfs, 'boot', kernel), join(tmp, 'vmlinuz'));
    copyFileSync(join(rootfs, 'boot', initrd), join(tmp, 'initrd.img'));
    execFileSync('truncate', ['-s', `${def.sizeMiB}M`, join(tmp, 'root.img')]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', rootfs, join(tmp, 'root.img')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    removeTree(rootfs);
    renameSync(tmp, dir);
  } catch (e) {
    if (!cached(dir)) throw e; // else a concurrent run renamed its image into place first
  } finally {
    removeTree(tmp);
  }
  return image(dir);
}

/**
 * rm -rf DIR, unless something is mounted below it: mmdebstrap (root mode) mounts /proc, /sys
 * and /dev/pts into the root it builds while it runs, and one killed midway may leave them.
 */
function removeTree(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  const below = mounts.filter((m) => m === dir || m.startsWith(`${dir}/`));
  if (below.length > 0) throw new Error(`not removing ${dir}: mounted below it: ${below.join(' ')} (umount them, then remove it)`);
  rmSync(dir, { recursive: true, force: true });
}

/** The stock box's own files: fstab, hostname, the stack's LAN configuration, a persistent journal, the agent. */
function customize(root: string, release: BootRelease, def: Definition): void {
  const write = (path: string, text: string, mode = 0o644) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), mode);
  };
  const host = `srbt-${release.replace('debian-', 'deb')}`;
  write('/etc/fstab', '/dev/vda / ext4 errors=remount-ro 0 1\n');
  write('/etc/hostname', `${host}\n`);
  write('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${host}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  // one fixed machine-id per release: srcroute's stable MAC (srcroute mac) is the same every run
  write('/etc/machine-id', `${createHash('sha256').update(host).digest('hex').slice(0, 32)}\n`);
  // NetworkManager reads a keyfile only when it is root's and 0600
  for (const [path, text] of Object.entries(def.files)) write(path, text, path.endsWith('.nmconnection') ? 0o600 : 0o644);
  mkdirSync(join(root, 'var/log/journal'), { recursive: true });
  write('/opt/srbt/agent', def.agent['agent.sh'], 0o755);
  write('/etc/systemd/system/srbt-agent.service', def.agent['srbt-agent.service']);
  mkdirSync(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  symlinkSync('/etc/systemd/system/srbt-agent.service', join(root, 'etc/systemd/system/multi-user.target.wants/srbt-agent.service'));
}

/** Cached images other than the current definitions (older attempts), for cleanup by hand. */
export function staleImages(): string[] {
  if (!existsSync(CACHE)) return [];
  const current = new Set(RELEASES.flatMap((r) => STACKS.flatMap((s) => [imageDir(r, s), imageDir(r, s, true)])));
  return readdirSync(CACHE).filter((f) => f.startsWith('boot-')).map((f) => join(CACHE, f)).filter((d) => !current.has(d));
}
