// The forwarding labs' common parts (forward.test.ts, forward6.test.ts): nftables loaded from a
// text in a lab namespace, python3's http.server on an address (run in the namespace's own
// sandbox, bounded by timeout(1), ended with it), a page fetched with curl (either family), and
// the rules wg-quick adds for a full tunnel, by its own commands (this kernel has no WireGuard:
// the link is a veth).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Netns } from './netns.js';
import { tempDir } from './tmp.js';

/** `nft -f` of `text` in `ns`; fails the test on a refusal. */
export function loadNft(ns: Netns, text: string): void {
  const file = join(tempDir('srcroute-nft'), 'rules.nft');
  writeFileSync(file, text);
  const r = ns.run(['nft', '-f', file]);
  expect(r.code, r.stderr).toBe(0);
}

/** `addr` as a URL's host: IPv6 in brackets. */
const host = (addr: string): string => (addr.includes(':') ? `[${addr}]` : addr);

/** http servers in lab namespaces, each for at most 5 minutes; stop() ends those still running. */
export class WebServers {
  private readonly started: ChildProcess[] = [];

  /** python3's http.server in `ns` on `addr`:80, serving `/x/` with a page that names `addr`. */
  serve(ns: Netns, addr: string): void {
    const dir = tempDir('srcroute-www');
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'index.html'), `hello from ${addr}\n`);
    const py = ['timeout', '300', '/usr/bin/python3', '-m', 'http.server', '80', '--bind', addr, '--directory', dir];
    const server = ns.sandbox.spawn(py);
    server.stdout?.resume(); // its request log: read, or a full pipe would stop it
    server.stderr?.resume();
    this.started.push(server);
  }

  /** Until every `addrs` answers from `from` (the positive signal a later "no answer" needs). */
  async up(from: Netns, addrs: readonly string[]): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (addrs.every((a) => fetchPage(from, a, 80) !== null)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the lab's http servers did not start");
  }

  stop(): void {
    for (const s of this.started) s.kill();
  }
}

/** The page at `addr`:`port` fetched from `from` (source `source`), or null when nothing answers within 3 s. */
export function fetchPage(from: Netns, addr: string, port: number, source?: string): string | null {
  const via = source ? ['--interface', source] : [];
  const r = from.run(['curl', '-sS', '-g', '--max-time', '3', ...via, `http://${host(addr)}:${port}/x/`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** wg-quick's add_default for a full tunnel in `family`, its exact commands (table and mark 51820), on a veth wg0. */
export function wgQuickFullTunnel(box: Netns, family: 4 | 6): void {
  box.ip('link', 'add', 'wg0', 'type', 'veth', 'peer', 'name', 'wg0peer');
  box.ip('link', 'set', 'wg0', 'up');
  box.ip(`-${family}`, 'route', 'add', family === 4 ? '0.0.0.0/0' : '::/0', 'dev', 'wg0', 'table', '51820');
  box.ip(`-${family}`, 'rule', 'add', 'not', 'fwmark', '51820', 'table', '51820');
  box.ip(`-${family}`, 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0');
}
