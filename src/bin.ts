// The executable's entry: the only code that touches `process`.
import { main } from './cli.js';

main(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  uid: process.getuid?.() ?? 0,
}).then(
  (code) => process.exit(code),
  // main() catches everything it knows; this keeps a stack trace out of syslog even so.
  (e: unknown) => {
    process.stderr.write(`srcroute: internal error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
    process.exit(1);
  },
);
