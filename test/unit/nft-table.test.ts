// The nft table FORWARD needs (src/kernel/nft-table.ts): its text, and that nftables takes it
// (`nft -c -f`, in a namespace of its own) for every kind of interface name srcroute accepts,
// twice in a row in one file (the create-delete-create prelude makes a rerun replace it).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nftTableText } from '../../src/kernel/nft-table.js';
import { Netns } from '../support/netns.js';
import { prerequisites } from '../support/prereq.js';
import { tempDir } from '../support/tmp.js';

const MARK = { value: 0x7b000000, mask: 0xff000000 };

describe('the nft table of an interface', () => {
  it('marks new connections from the interface, restores the mark on replies only, in prerouting at mangle', () => {
    expect(nftTableText('eth0v0', MARK).split('\n')).toEqual([
      '# srcroute: the mark 0x7b000000/0xff000000 of connections forwarded from eth0v0 (FORWARD=yes)',
      'table inet srcroute-eth0v0',
      'delete table inet srcroute-eth0v0',
      'table inet srcroute-eth0v0 {',
      '\tchain prerouting {',
      '\t\ttype filter hook prerouting priority mangle; policy accept;',
      '\t\tiifname "eth0v0" ct state new ct mark set ct mark and 0x00ffffff or 0x7b000000',
      '\t\tct direction reply ct mark and 0xff000000 == 0x7b000000 meta mark set meta mark and 0x00ffffff or 0x7b000000',
      '\t}',
      '}',
      '',
    ]);
    expect(nftTableText('x', { value: 0x300, mask: 0xf00 })).toContain('meta mark set meta mark and 0xfffff0ff or 0x00000300');
  });

  const ok = prerequisites('nft -c', ['root', 'ip', 'nft']);
  let ns: Netns | undefined;
  afterAll(() => ns?.destroy());
  it.skipIf(!ok).each(['eth0v0', 'wan.2', 'mv-pub_1', 'a'])('nftables 1.0.6 takes it for %s, twice over', (iface) => {
    ns ??= Netns.create('nft');
    const file = join(tempDir('srcroute-nft'), 't.nft');
    writeFileSync(file, nftTableText(iface, MARK).repeat(2));
    const r = ns.run(['nft', '-c', '-f', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
