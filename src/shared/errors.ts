// The two ways srcroute fails, so that exit codes are decided in one place (cli.ts):
// bad input or config means nothing was changed (exit 2); a failing system means `ip` or the
// machine let us down (exit 1). Messages are one line, meant for syslog, never a stack trace.

/** Input from the DHCP client or the config files is unusable; nothing was changed. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** The system failed: `ip` missing, failing or hanging, a lock not obtained in time. */
export class SystemError extends Error {
  override readonly name = 'SystemError';
}

/**
 * A bug in srcroute: anything thrown that is neither an InputError nor a SystemError (a TypeError,
 * a RangeError…). It is never reported as the system's failure: it ends with the "this is a bug"
 * line (cli.ts).
 */
export function isBug(e: unknown): boolean {
  return !(e instanceof InputError) && !(e instanceof SystemError);
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
  const flat = text.trim().replace(/\s*[\r\n]+\s*/g, '; ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** An error's message as one line of bounded length, whatever was thrown. */
export function messageOf(e: unknown, max = 400): string {
  return oneLine(e instanceof Error ? e.message : String(e), max);
}
