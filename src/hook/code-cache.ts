// How the hook file's own first lines (src/hook-bin.ts, which build/build.mjs puts before the hook's
// bundle, held in a comment) compile the bundle with V8's code cache for it, so that a lease
// event does not parse and compile the same 70 KB without the JIT every time. Measured with
// callgrind (instructions, the same whatever else the machine does), a RENEW with nothing to
// change: Node behind the hooks' #! starting one `ip -batch` child and reading two answers
// 158.0 M; the hook compiled by Node as before 192.8 M (1.22x); through this with its cache
// 169-175 M (1.07-1.11x). The bundle sits in a comment so that Node's own compile of this file
// only skips over it, already wrapped as Node wraps a module: the text between the markers is the
// source to compile, one slice of the file's text. So it holds no star-slash (build.mjs drops
// esbuild's pure marks, makes the doc comments it keeps line comments, and refuses any other):
// each copy of the bundle's 100 KB that a run makes is young-generation space, and undoing an
// escaping and wrapping made two, which brought a scavenge (1-2 M instructions; 2.1 M less a
// RENEW without them).
//
// The cache lives in the state directory (/run/srcroute, or SRCROUTE_STATE_DIR; a tmpfs: made
// anew by the first event of each boot, and by an event that finds it rejected, as after a Node
// upgrade), named for the hook file's inode, size and mtime, so that an edited or reinstalled
// hook never meets the cache of another text (V8 itself checks only the source's length). It is
// bytecode that runs as root: only read from a directory that is this user's and writable by no
// one else, and written beside, then renamed. Anything amiss and the bundle is compiled as before.
//
// V8 caches the functions compiled by the time the cache is made, so a cache made by one kind of
// event leaves another kind to compile its own functions on every run: measured (callgrind, less
// V8's random hash-seed prime search), a RENEW from a cache made by a RENEW 167.6 M instructions,
// from one made by an event that did little 178.6 M. So the file starts with a line naming the
// events (dhcpcd's and dhclient's `reason`) whose runs made it, and the first run of an event not
// named there writes it again after it went well (what came from the cache is kept: V8 writes
// every function compiled): at most once per kind of event a boot.
import { statSync } from 'node:fs';

/** The comment's first and last lines; the module wrapper's (MODULE_WRAPPER) are between them. */
export const BUNDLE_START = '\n/* <<< srcroute hook bundle (it holds no star-slash)\n';
export const BUNDLE_END = '\n>>> srcroute hook bundle */\n';
/** What Node puts around a module's text, so that its top level is the module's scope: build.mjs writes it in. */
export const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;

/** Where the cache for `hook` may be kept, or null: no state directory, or one that others could write. */
export function cachePath(hook: string, dir: string, uid: number): string | null {
  try {
    const d = statSync(dir);
    if (!d.isDirectory() || d.uid !== uid || (d.mode & 0o022) !== 0) return null;
    const h = statSync(hook);
    return `${dir}/hook-${h.ino}-${h.size}-${Math.trunc(h.mtimeMs * 1000)}.v8cache`;
  } catch {
    return null;
  }
}

/**
 * Whether `reason` may name a kind of event in the cache file (anything else is never written
 * again for it): 0 to 16 of A-Z, 0-9 and _. Read character by character, as the file's header is:
 * Buffer's indexOf, toString('latin1') and subarray and a regular expression, which the jitless
 * hook compiled on every event, cost it 1.2 M instructions, these loops 0.4 M (callgrind, RENEW).
 */
export function isKind(reason: string): boolean {
  if (reason.length > MAX_KIND) return false;
  for (let i = 0; i < reason.length; i++) if (!isKindCode(reason.charCodeAt(i))) return false;
  return true;
}

const MAX_KIND = 16;
const MAX_HEADER = 256;
const NEWLINE = 10;
const COMMA = 44;
const isKindCode = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** The cache file's parts: the events it was made by, and V8's data. */
export interface CacheFile {
  kinds: string[];
  data: Uint8Array;
}

/** The file's bytes back as its parts, or undefined when it has no header (a cache made before it). */
export function readCacheFile(bytes: Uint8Array): CacheFile | undefined {
  const kinds: string[] = [];
  let kind = '';
  for (let i = 0; i < bytes.length && i < MAX_HEADER; i++) {
    const c = bytes[i]!;
    if (c === COMMA || c === NEWLINE) {
      kinds.push(kind);
      kind = '';
    } else if (isKindCode(c) && kind.length < MAX_KIND) kind += String.fromCharCode(c);
    else return undefined;
    if (c === NEWLINE) return { kinds, data: after(bytes, i + 1) };
  }
  return undefined;
}

/** The bytes from `start` on, as a view: a plain typed array's, which Node's Buffer.subarray would compile. */
const after = (bytes: Uint8Array, start: number): Uint8Array =>
  new Uint8Array(bytes.buffer, bytes.byteOffset + start, bytes.length - start);

/** The kinds the next cache file names, or null when this run has nothing to add: its kind is named already. */
export function kindsAfter(had: readonly string[] | undefined, reason: string): string[] | null {
  if (!isKind(reason)) return had === undefined ? [] : null;
  if (had === undefined) return [reason];
  if (had.includes(reason) || had.length >= 12) return null;
  return [...had, reason];
}

/** The file's bytes for `kinds` and V8's `data`. */
export const cacheFileBytes = (kinds: readonly string[], data: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(`${kinds.join(',')}\n`, 'latin1'), data]);

/** The bundle's source, wrapped as Node wraps a module, from the hook file's text. */
export function wrappedBundle(self: string): string {
  const start = self.indexOf(BUNDLE_START);
  const end = self.lastIndexOf(BUNDLE_END);
  if (start < 0 || end < start) throw new Error('no bundle in this hook file');
  return self.slice(start + BUNDLE_START.length, end);
}
