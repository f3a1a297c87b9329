// Shell-style patterns (fnmatch(3) without flags, as `case` and dhcpcd's allowinterfaces match them,
// and networkd's Name=): * any run, ? one character, [...] a class, [!...] its complement.

/** Whether NAME matches the shell PATTERN as a whole. */
export function fnmatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
    .replace(/\[!/g, '[^');
  return new RegExp(`^${re}$`).test(name);
}
