// The installed list (/usr/local/lib/srcroute/installed.list): what install created or replaced,
// one line each, so that uninstall gives /etc and /usr/local back as they were. The format is the
// one install.sh always wrote, so an install made by an earlier version updates and uninstalls:
//   dir PATH               a directory install created (removed again when empty)
//   created PATH           a file install created
//   backup PATH            a file of the admin's that install replaced (its copy: backup/PATH)
//   nl PATH                install added a newline to the admin's file before its marked block
//   table IFACE NUM NAME   an interface and its routing table
//   stack IFACE STACK ETH  an interface whose macvlan install set up (--parent)
//   stackfile PATH         a file of that setup
//   parent ETH up|down RA  the macvlan's parent link as install first found it: administratively up
//                          or down, its IPv6 accept_ra (- without IPv6); uninstall puts both back
//   stop IFACE CMD...      run before uninstall removes anything (stops the DHCP client)
//   reload IFACE CMD...    run after uninstall removed the files
// Pure: the installer's writer (install/writer.ts) persists it; check reads its `stack` lines (which
// links install set up: the fix for one that is gone is to install again, operator/diagnose.ts).
/** The kinds whose line is KIND PATH. */
const PATH_KINDS = new Set(['dir', 'created', 'backup', 'nl', 'stackfile']);

export class InstalledList {
  private readonly lines: string[];

  constructor(text = '') {
    this.lines = text.split('\n').filter((l) => l !== '');
  }

  has(line: string): boolean {
    return this.lines.includes(line);
  }

  add(line: string): void {
    if (!this.has(line)) this.lines.push(line);
  }

  delete(line: string): void {
    const at = this.lines.indexOf(line);
    if (at >= 0) this.lines.splice(at, 1);
  }

  /** Drop every line that starts with `prefix`. */
  deleteWhere(prefix: string): void {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!.startsWith(prefix)) this.lines.splice(i, 1);
  }

  /** The lines of KIND, without the kind word, split on spaces. */
  of(kind: string): string[][] {
    return this.lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1).split(' '));
  }

  /** The paths of KIND (dir, created, backup, nl, stackfile). */
  paths(kind: string): string[] {
    return this.of(kind).map((w) => w.join(' '));
  }

  /**
   * What a rerun of uninstall still has to do after the removal of each of FAILED (paths) failed:
   * their lines (and those of paths under them), and every directory install created, each removed
   * again when empty.
   */
  leftAfter(failed: readonly string[]): InstalledList {
    const pending = (path: string): boolean => failed.some((f) => path === f || path.startsWith(`${f}/`));
    return new InstalledList(
      this.lines
        .filter((l) => {
          const [kind = '', ...rest] = l.split(' ');
          return kind === 'dir' || (PATH_KINDS.has(kind) && pending(rest.join(' ')));
        })
        .join('\n'),
    );
  }

  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }
}
