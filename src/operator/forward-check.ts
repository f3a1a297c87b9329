// FORWARD=yes as check and status see it: the nftables table that marks the interface's forwarded
// connections (kernel/nft-table.ts), as its file says it (what `srcroute install --forward`
// wrote, for the mark the config gives now) and as the kernel holds it (`nft list table`: loaded
// or not; nft prints a loaded table in its own normal form, so what it holds is not compared).
// The rules are the hook's plan and judged with it (the `rule` and `local` parts). Nothing is
// read, nothing shown, with FORWARD=no.
import type { Config } from '../hook/config.js';
import { nftTableName, nftTableText } from '../kernel/nft-table.js';
import type { ProgramRunner } from '../kernel/program.js';
import { readText } from '../shared/files.js';
import type { Finding } from './finding.js';

/** The table's file missing or not for this mark (stale); the table not loaded; nft not there (unknown). */
export type NftState = 'ok' | 'missing' | 'stale' | 'unloaded' | 'unknown';
export interface ForwardFacts {
  mark: string;
  file: string;
  nft: NftState;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** What check and status say of FORWARD for `iface`; null with FORWARD=no. */
export async function readForward(
  run: ProgramRunner,
  configDir: string,
  iface: string,
  config: Config | null,
): Promise<ForwardFacts | null> {
  if (config === null || !config.forward) return null;
  const mark = `${hex(config.mark.value)}/${hex(config.mark.mask)}`;
  const file = `${configDir}/nft/${iface}.nft`;
  const text = readText(file);
  if (text === null) return { mark, file, nft: 'missing' };
  if (text !== nftTableText(iface, config.mark)) return { mark, file, nft: 'stale' };
  const listed = await run(['nft', 'list', 'table', 'inet', nftTableName(iface)], config.timeoutMs);
  return { mark, file, nft: listed.code === 0 ? 'ok' : listed.code === 127 ? 'unknown' : 'unloaded' };
}

/** status's line: `forward on, mark 0x7b000000/0xff000000, nft ok`. */
export const forwardLine = (f: ForwardFacts): string => `forward on, mark ${f.mark}, nft ${f.nft}`;

/** check's finding for the table, with its fix (`install`: the installer's command line); none when it is loaded. */
export function forwardFindings(iface: string, f: ForwardFacts | null, install: (args: string) => string): Finding[] {
  if (f === null || f.nft === 'ok') return [];
  const file = f.file;
  const problem = {
    missing: `FORWARD=yes, but ${file} is missing: forwarded connections are not marked, their replies leave by main`,
    stale: `FORWARD=yes, but ${file} is not the table for mark ${f.mark} (MARK, MARK_MASK or TABLE changed)`,
    unloaded: `FORWARD=yes, but the kernel has no table ${nftTableName(iface)}: forwarded connections are not marked`,
    unknown: 'FORWARD=yes, but nft(8) is missing: the table that marks forwarded connections cannot load',
  }[f.nft];
  const fix = {
    missing: [install(`--forward ${iface}`)],
    stale: [`rm ${file}`, install(`--forward ${iface}`)],
    unloaded: [`systemctl restart srcroute-nft@${iface}.service   # or: nft -f ${file}`],
    unknown: ['apt install nftables'],
  }[f.nft];
  return [{ id: `forward-nft-${f.nft}`, iface, problem, fix }];
}
