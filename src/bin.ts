// The executable's entry: the only code that touches `process`.
import { main } from './cli.js';

main(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  uid: process.getuid?.() ?? 0,
}).then((code) => process.exit(code));
