// The contract every srcroute command keeps (as ni's commands keep one Runner type): its own
// module exports a Command, what it takes, its `--help` and run(), so that adding a command is
// that module plus one line in cli.ts's table. cli.ts parses the arguments by the Command's
// flags and options (node:util's parseArgs) and maps what run() returns or throws to the exit
// status. `D` is what it needs from the outside world: the hook's Deps or the operator's.

/** Where a command writes: stdout and stderr, one line at a time; and who runs it. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  uid: number;
  /** How to run this program again (node, its flags, the script): hooks.d's runner. */
  self?: readonly string[];
}

/** A command's arguments: its boolean flags and its options (long names, no dashes), the rest in order. */
export interface Args {
  flags: ReadonlySet<string>;
  options: ReadonlyMap<string, string>;
  positional: readonly string[];
}

/** What a command may report besides success; cli.ts maps it to an exit status. */
export type Verdict = 'healthy' | 'unhealthy' | void;

export interface Command<D> {
  /** `srcroute NAME --help`: usage, what it does, an example. */
  help: string;
  /** Boolean flags and options that take a value, by long name without the dashes. */
  flags: readonly string[];
  options?: readonly string[];
  /** How many positional arguments it takes (none when absent). */
  positional?: { min: number; max: number };
  /** `tag` starts its log lines (`srcroute[eth0v0] BOUND`, `srcroute flush`). */
  run: (args: Args, deps: D, io: Io, tag: string) => Promise<Verdict>;
}
