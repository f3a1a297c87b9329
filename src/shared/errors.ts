// The ways srcroute fails, so that exit codes and what is said are decided in one place (cli.ts,
// with reportLines below): bad input or config means nothing was changed (exit 2); a failing
// system means `ip` or the machine let us down (exit 1): a SystemError, or a system call's own
// error (ENOENT, EACCES, EBUSY… with its path). Both are one line, meant for syslog. Anything else
// is a bug in srcroute (exit 1): the operator's commands print its stack; the hook says it in one
// line, and prints the stack only under SRCROUTE_DEBUG=1.

/** Input from the DHCP client or the config files is unusable; nothing was changed. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** The system failed: `ip` missing, failing or hanging, a lock not obtained in time. */
export class SystemError extends Error {
  override readonly name = 'SystemError';
}

/**
 * A failed system call as Node reports it: a `code` (ENOENT, EACCES, EBUSY…) and the `syscall`
 * that failed. Node's own argument errors carry a code too (ERR_INVALID_ARG_TYPE), but no syscall:
 * they are bugs.
 */
export function isSystemCallError(e: unknown): e is Error & { code: string; syscall: string; path?: string } {
  return errorCode(e) !== undefined && typeof (e as { syscall?: unknown }).syscall === 'string';
}

/** What was thrown, by who is to act: the user (input), the machine (system), or srcroute's authors (bug). */
export type ErrorClass = 'input' | 'system' | 'bug';

export function classOf(e: unknown): ErrorClass {
  if (e instanceof InputError) return 'input';
  if (e instanceof SystemError || isSystemCallError(e)) return 'system';
  return 'bug';
}

/**
 * A bug in srcroute: anything thrown that is neither an InputError, a SystemError nor a failed
 * system call (a TypeError, a RangeError…). It is never reported as the system's failure.
 */
export function isBug(e: unknown): boolean {
  return classOf(e) === 'bug';
}

/** Where a failure is reported: an operator's command at a terminal, or the hook (one syslog line). */
export interface ReportContext {
  tag: string;
  hook: boolean;
  /** SRCROUTE_DEBUG=1: the hook prints a bug's stack too. */
  debug: boolean;
  /** srcroute's version, for the bug report. */
  version: string;
}

/**
 * The lines that report what was thrown. Input and system failures: one line (a system call's
 * error names its path). A bug: "bug:" with the error's name, then in a command its stack and what
 * to report; in the hook one line that says how to get the stack (SRCROUTE_DEBUG=1), and the stack
 * when that is set.
 */
export function reportLines(e: unknown, c: ReportContext): string[] {
  const kind = classOf(e);
  if (kind !== 'bug') {
    const path = isSystemCallError(e) && e.path !== undefined && !e.message.includes(e.path) ? ` (${e.path})` : '';
    return [`${c.tag}: ${messageOf(e)}${path}`];
  }
  const first = `${c.tag}: bug: ${e instanceof Error ? `${e.name}: ` : ''}${messageOf(e)}`;
  const stack = e instanceof Error && e.stack !== undefined ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  const report = `this is a bug in srcroute; please report it with the lines above (srcroute ${c.version})`;
  if (!c.hook) return [first, ...stack, `${c.tag}: ${report}`];
  // dhcpcd passes what dhcpcd.conf's `env` lines name to its hooks (dhcpcd.conf(5))
  const how = c.debug
    ? ''
    : '; SRCROUTE_DEBUG=1 in its environment prints the stack (dhcpcd.conf: env SRCROUTE_DEBUG=1)';
  return [
    `${first} (this is a bug in srcroute; please report it, srcroute ${c.version}${how})`,
    ...(c.debug ? stack : []),
  ];
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`…); undefined for anything else. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** `e` when a system call failed (it carries a `code`); anything else is a bug and is thrown on. */
export function systemCallError(e: unknown): Error & { code: string } {
  if (errorCode(e) === undefined) throw e;
  return e as Error & { code: string };
}

/**
 * Quote a value for an error message: printable ASCII only (escaped as JSON does, anything beyond
 * ASCII as \uXXXX, so no newline, terminal escape or bidi override reaches a log), and at most
 * `max` characters AFTER escaping: 40 control bytes would otherwise grow sixfold and blow the
 * line's size bound.
 */
export function shown(value: string, max = 40): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const esc = c < 0x7f ? JSON.stringify(value[i]).slice(1, -1) : `\\u${c.toString(16).padStart(4, '0')}`;
    if (out.length + esc.length > max) return `"${out}…"`;
    out += esc;
  }
  return `"${out}"`;
}

/** Text (ip's stderr, an error's message) as one line of bounded length. */
export function oneLine(text: string, max = 200): string {
  // (?:…): no star-slash, which would end the comment that holds the hook's bundle (build/build.mjs)
  const flat = text.trim().replace(/\s*[\r\n]+(?:\s*)/g, '; ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** An error's message as one line of bounded length, whatever was thrown. */
export function messageOf(e: unknown, max = 400): string {
  return oneLine(e instanceof Error ? e.message : String(e), max);
}
