// The config files' syntax: dotenv's, strictly. Every line srcroute accepts means what dotenv's
// parse() makes of it (test/unit/env-file.test.ts checks that against dotenv on generated
// files); a line dotenv would skip or stretch over several lines is refused, naming it, instead
// of silently meaning a default. The dotenv package itself cost the hook ~0.6 ms per event
// (loading it and node:os, jitless) for five keys whose values never need more than one line.
import { InputError, shown } from '../shared/errors.js';

/** `[export ]KEY=VALUE [# comment]`; VALUE quoted with ', " or ` on one line, or bare up to `#`. */
const ASSIGNMENT =
  /^\s*(?:export\s+)?([\w.-]+)\s*=\s*('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#'"`\s][^#]*?|)\s*(?:#.*)?$/;
const BLANK_OR_COMMENT = /^\s*(?:#.*)?$/;

/** The settings in `text` (later lines win); `source` names the file in the refusal. */
export function parseEnvFile(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  const lines = text.split(/\r\n?|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = ASSIGNMENT.exec(line);
    if (m) {
      const raw = m[2]!;
      const quote = raw[0];
      const inner = quote === "'" || quote === '"' || quote === '`' ? raw.slice(1, -1) : raw;
      values[m[1]!] = quote === '"' ? inner.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : inner;
    } else if (!BLANK_OR_COMMENT.test(line)) {
      throw new InputError(
        `cannot read line ${i + 1} of ${source}: ${shown(line)} is not KEY=value (dotenv syntax, one line each)`,
      );
    }
  }
  return values;
}
