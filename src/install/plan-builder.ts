// The moves both plans are made of, each decided once: create a directory (recorded), put a
// file's bytes, mode and owner (nothing when they are right already), own a file srcroute owns
// entirely (the admin's different file kept as a backup), add or take out a marked block,
// remove a file or put back the one it replaced. Every change is preceded by a `record` of the
// installed list as it will be, so that a run killed at any point leaves a list that names
// everything it made.
import { dirname } from 'node:path';
import { SystemError } from '../shared/errors.js';
import type { Common, FileFact } from './facts.js';
import { InstalledList } from '../shared/installed-list.js';
import { BACKUP_DIR, isTemp, LIB } from './layout.js';
import { adminPart, hasBlock, withBlock } from './marked-block.js';
import type { Owner, Plan, Step } from './steps.js';

export class PlanBuilder {
  readonly steps: Step[] = [];
  readonly list: InstalledList;
  changes = 0;
  private recorded: string;
  /** Directories this plan creates, as if they were there. */
  private readonly made = new Set<string>();

  /** `recording`: install persists the list as it goes; uninstall removes it at its end. */
  constructor(readonly facts: Common, private readonly recording = true) {
    this.list = new InstalledList(facts.list);
    this.recorded = this.list.text();
    // the first record makes the list's directory and its missing parents (writer.ts), before any other change
    if (recording && !facts.dry) {
      for (let d = LIB; !this.isDir(d); d = dirname(d)) this.libChain.push(d);
      for (const d of this.libChain) this.made.add(d);
    }
  }

  /** LIB and its parents that are missing: the first record makes them. */
  private readonly libChain: string[] = [];

  file(path: string): FileFact | undefined {
    return this.facts.tree.get(path);
  }

  exists(path: string): boolean {
    return this.facts.tree.has(path);
  }

  isDir(path: string): boolean {
    return this.made.has(path) || this.file(path)?.kind === 'dir' || path === '/';
  }

  /** Who owns what the installer creates. */
  get owner(): Owner {
    return this.facts.uid === 0 ? { uid: 0, gid: 0 } : { uid: this.facts.uid, gid: this.facts.gid };
  }

  say(line: string): void {
    this.steps.push({ op: 'say', line });
  }

  warn(line: string): void {
    this.steps.push({ op: 'warn', line });
  }

  /** Persist the list before a change, when it differs from what was persisted (never in a dry run). */
  record(): void {
    if (!this.recording || this.facts.dry || this.list.text() === this.recorded) return;
    // the list's own directory is made with it (writer.ts): recorded in it, so uninstall removes it
    for (const d of this.libChain) this.list.add(`dir ${d}`);
    this.recorded = this.list.text();
    this.steps.push({ op: 'record', list: this.recorded });
  }

  change(step: Step): void {
    this.record();
    this.steps.push(step);
  }

  /** Create `path` and its missing parents, each recorded. */
  ensureDir(path: string): void {
    if (this.isDir(path)) return;
    this.ensureDir(dirname(path));
    this.list.add(`dir ${path}`);
    this.made.add(path);
    this.changes++;
    this.change({ op: 'mkdir', path });
  }

  /** Give `path` these bytes, mode and owner; nothing when all three are right already. */
  put(path: string, content: Buffer | string, mode: number, owner: Owner = this.owner): boolean {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const now = this.file(path);
    const mine = this.facts.uid === 0 ? owner : this.owner;
    if (
      now?.kind === 'file' &&
      now.content?.equals(bytes) &&
      (now.mode & 0o7777) === mode &&
      now.uid === mine.uid &&
      now.gid === mine.gid
    )
      return false;
    this.changes++;
    this.ensureDir(dirname(path));
    this.change({ op: 'write', path, content: bytes, mode, owner: mine, verb: now === undefined ? 'write' : 'update' });
    return true;
  }

  /** A file srcroute owns entirely: a different one already there that install did not write is kept for uninstall. */
  own(path: string, content: Buffer | string, mode: number): boolean {
    const now = this.file(path);
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const ours = this.list.has(`created ${path}`) || this.list.has(`backup ${path}`);
    if (now !== undefined && !ours && !(now.content?.equals(bytes) ?? false)) {
      this.ensureDir(LIB);
      this.change({
        op: 'write',
        path: `${BACKUP_DIR}${path}`,
        content: now.content ?? Buffer.alloc(0),
        mode: now.mode & 0o7777,
        owner: { uid: now.uid, gid: now.gid },
        verb: 'backup',
      });
      this.list.add(`backup ${path}`);
    }
    if (now === undefined && !this.list.has(`backup ${path}`)) this.list.add(`created ${path}`);
    return this.put(path, bytes, mode);
  }

  /** `path` = the admin's part + `blockText`; the file's mode and owner stay, a new one is 0644 and recorded. */
  merge(path: string, blockText: string): void {
    const now = this.file(path);
    if (now !== undefined && now.content === null) {
      if (!this.facts.dry) throw new SystemError(`cannot read ${path}`);
      this.say(`would add srcroute's block to ${path} (not readable here: run as root to see more)`);
      return;
    }
    let admin = '';
    if (now === undefined) this.list.add(`created ${path}`);
    else admin = adminPart(now.content!.toString('utf8'), this.list.has(`nl ${path}`));
    const merged = withBlock(admin, blockText);
    if (merged.addedNewline) this.list.add(`nl ${path}`);
    else this.list.delete(`nl ${path}`);
    this.put(
      path,
      merged.text,
      now === undefined ? 0o644 : now.mode & 0o7777,
      now === undefined ? { uid: 0, gid: 0 } : { uid: now.uid, gid: now.gid },
    );
  }

  /** Remove `path`, or put back the admin's copy install replaced. */
  remove(path: string): void {
    const copy = this.file(`${BACKUP_DIR}${path}`);
    if (this.list.has(`backup ${path}`) && copy?.kind === 'file') {
      this.change({
        op: 'write',
        path,
        content: copy.content ?? Buffer.alloc(0),
        mode: copy.mode & 0o7777,
        owner: { uid: copy.uid, gid: copy.gid },
        verb: 'restore',
      });
    } else if (this.exists(path)) {
      this.change({ op: 'remove', path });
    }
  }

  /** Take srcroute's block out of `path`; remove the file when install created it and nothing else is left. */
  unmerge(path: string): void {
    const now = this.file(path);
    const text = now?.content?.toString('utf8');
    if (now?.kind !== 'file' || text === undefined || !hasBlock(text)) return;
    const admin = adminPart(text, this.list.has(`nl ${path}`));
    if (this.list.has(`created ${path}`) && !/\S/.test(admin)) {
      this.remove(path);
    } else {
      this.list.delete(`nl ${path}`);
      this.put(path, admin, now.mode & 0o7777, { uid: now.uid, gid: now.gid });
    }
  }

  /** What a killed run left beside its targets (shared/files.ts tempOf): gone, without a word. */
  sweepTemps(): void {
    for (const path of this.facts.tree.keys())
      if (isTemp(path)) this.steps.push({ op: 'remove-tree', path, quiet: true });
  }

  /** Run `argv` (recorded first: the list says what to undo). */
  run(argv: readonly string[]): void {
    this.change({ op: 'run', argv });
  }

  done(afterword: string[] = []): Plan {
    return { steps: this.steps, changes: this.changes, afterword };
  }
}
