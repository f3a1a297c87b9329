// Whether install may take the modem's link it was given (--parent, --vlan), decided before
// anything is written. What the issue found: a parent that was the LAN port got the modem's
// settings (dhcpcd.conf's noipv4/noipv6 for it, accept_ra 0, a .network with no address) and the
// LAN lost its lease; `--parent eth9`, which does not exist, was taken by every stack, and a
// `--parent ens3.100` that nothing made failed only in nmcli/ifup, after everything was written.
// A VLAN install makes itself (--vlan) needs its port, and a name the kernel takes (15 characters:
// IFNAMSIZ - 1); a VLAN the admin made is a port of its own. Under --root nothing is looked at.
import { InputError } from '../shared/errors.js';
import { vlanName } from '../operator/stacks/plan.js';
import type { InstallFacts, StackSetup } from './facts.js';
import { rerun } from './names.js';

const IFNAME_MAX = 15;

function checkVlan(f: InstallFacts, s: StackSetup & { vlan: NonNullable<StackSetup['vlan']> }): void {
  const { port, id } = s.vlan;
  const name = vlanName(s.vlan);
  if (name.length > IFNAME_MAX) {
    throw new InputError(
      `--parent ${port} --vlan ${id}: the VLAN's name ${name} would have ${name.length} characters, ` +
        `the kernel takes ${IFNAME_MAX}: ` +
        `give the port a shorter name (a systemd .link file with Name=) or give the modem a port of its own`,
    );
  }
  if (f.links !== null && !f.links.has(port)) {
    throw new InputError(`--parent ${port} --vlan ${id}: no link ${port} to make the VLAN on (ip -br link lists them)`);
  }
}

/** Refuses a parent that is the LAN or is not there, and a VLAN that cannot be made; only what was given now. */
export function checkParents(f: InstallFacts): void {
  for (const [iface, s] of f.stacks) {
    if (s.asked !== true) continue;
    if (s.vlan !== undefined) {
      checkVlan(f, { ...s, vlan: s.vlan });
      continue;
    }
    const lan = f.lan?.get(s.parent);
    if (lan !== undefined) {
      throw new InputError(
        `--parent ${s.parent} is this box's LAN (${lan}), and the modem's link carries no address of its own: ` +
          `for the modem on a VLAN of that port, ${rerun(f.prog)} --parent ${s.parent} --vlan VID ${iface}; ` +
          'else give the modem a port of its own',
      );
    }
    if (f.links !== null && !f.links.has(s.parent)) {
      throw new InputError(
        `--parent ${s.parent}: no such link (ip -br link lists them); ` +
          "for the modem on a VLAN of the LAN's port: --parent PORT --vlan VID",
      );
    }
  }
}
