// Which network stack manages this box, judged by what runs. Files mislead: systemd-tmpfiles
// creates /run/systemd/netif at every boot even with networkd off, so the old check told
// NetworkManager users (Raspberry Pi OS, Debian desktops) to restart systemd-networkd.
import { runsDhcpcdManager } from '../dhcp-clients.js';
import type { Proc } from '../running.js';
import { STACK_NAMES, type Stack } from './plan.js';

export interface DetectFacts {
  processes: readonly Proc[];
  /** /etc/network/interfaces configures an interface besides lo (ifupdown has no daemon to see). */
  ifupdownConfigured: boolean;
}

/** The kernel keeps 15 characters of a process name: systemd-networkd is `systemd-network`. */
const COMM: Partial<Record<Stack, string>> = { nm: 'NetworkManager', networkd: 'systemd-network' };

export type Detected = { stack: Stack; how: string } | { stack: null; why: string };

export function detectStack(facts: DetectFacts): Detected {
  const running = (['nm', 'networkd'] as const).filter((s) => facts.processes.some((p) => p.comm === COMM[s]));
  if (running.length === 2) return { stack: null, why: 'both NetworkManager and systemd-networkd run' };
  if (running.length === 1) return { stack: running[0]!, how: `detected: ${STACK_NAMES[running[0]!]} runs` };
  if (runsDhcpcdManager(facts.processes)) return { stack: 'dhcpcd', how: 'detected: a manager-mode dhcpcd runs' };
  if (facts.ifupdownConfigured)
    return { stack: 'ifupdown', how: 'detected: /etc/network/interfaces configures an interface' };
  return {
    stack: null,
    why:
      'neither NetworkManager nor systemd-networkd nor a manager-mode dhcpcd runs, and /etc/network/interfaces ' +
      'configures nothing',
  };
}

/** Whether ifupdown's file configures something besides lo (`auto`, `allow-hotplug` or `iface` lines). */
export function ifupdownConfigures(text: string | null): boolean {
  return (text ?? '').split('\n').some((l) => /^\s*(auto|allow-hotplug|iface)\s+(?!lo(\s|$))\S/.test(l));
}
