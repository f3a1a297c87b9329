// dhcpcd.conf, as far as srcroute cares: does dhcpcd keep its hands off the main default route
// for the macvlan? Without `nogateway` the macvlan's lease installs a default route in the main
// table, which replaces (or competes with) the LAN's. Options before the first `interface` or
// `ssid` line apply to every interface; after it, to that block only.
export function hasNogateway(text: string, iface: string): boolean {
  let block: string | null = null;
  for (const raw of text.split('\n')) {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (words[0] === 'interface' || words[0] === 'ssid') block = words[0] === 'interface' ? (words[1] ?? '') : '';
    else if (words[0] === 'nogateway' && (block === null || block === iface)) return true;
  }
  return false;
}

/** Whether dhcpcd.conf TEXT has an `interface IFACE` line (a block of options for IFACE). */
export function hasInterfaceBlock(text: string, iface: string): boolean {
  return text.split('\n').some((raw) => {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/);
    return words[0] === 'interface' && words[1] === iface;
  });
}

/** The shell patterns of dhcpcd.conf's allowinterfaces lines (none: dhcpcd allows every interface). */
export function allowedInterfaces(text: string): string[] {
  return text.split('\n').flatMap((l) => {
    const m = /^\s*allowinterfaces\s(.*)$/.exec(l.replace(/#.*/, ''));
    return m ? m[1]!.split(/[\s,]+/).filter(Boolean) : [];
  });
}

/** Whether `option` applies to every interface: set before the first `interface` or `ssid` block. */
export function hasGlobalOption(text: string, option: string): boolean {
  for (const raw of text.split('\n')) {
    const word = raw.replace(/#.*/, '').trim().split(/\s+/)[0];
    if (word === 'interface' || word === 'ssid') return false;
    if (word === option) return true;
  }
  return false;
}
