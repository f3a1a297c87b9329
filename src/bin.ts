// The executable's entry: the only code that touches `process`.
import { writeSync } from 'node:fs';
import { main } from './cli.js';

/**
 * Lines to fd 1 or 2 with write(2) itself: the stream Node builds on first use of process.stderr
 * cost a hook that logs 0.5 ms (a file) to 0.8 ms (a pipe, as to logger) per event, jitless.
 * Whatever the fd refuses (EAGAIN on a non-blocking pipe, EPIPE) goes to the stream, and so does
 * every line after it, so that lines keep their order.
 */
function lineWriter(fd: number, stream: () => NodeJS.WriteStream): (line: string) => void {
  let direct = true;
  return (line) => {
    const bytes = Buffer.from(`${line}\n`);
    let done = 0;
    if (direct) {
      try {
        done = writeSync(fd, bytes);
      } catch {
        // the stream below reports or queues it, as it always did
      }
    }
    if (done < bytes.length) {
      direct = false;
      stream().write(bytes.subarray(done));
    }
  };
}

main(process.argv.slice(2), process.env, {
  out: lineWriter(1, () => process.stdout),
  err: lineWriter(2, () => process.stderr),
  uid: process.getuid?.() ?? 0,
  self: process.argv[1] === undefined ? [] : [process.execPath, ...process.execArgv, process.argv[1]],
}).then(
  (code) => process.exit(code),
  // main() catches everything it knows; this keeps a stack trace out of syslog even so.
  (e: unknown) => {
    process.stderr.write(`srcroute: internal error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
    process.exit(1);
  },
);
