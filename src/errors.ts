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

/** Quote a value for an error message: escaped (one line, no control bytes) and shortened. */
export function shown(value: string, max = 40): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
