// The command line: which command runs, what it is handed, and which exit code it ends with.
// Exit codes live here only: 0 done (or nothing to do), 2 bad input or config (nothing was
// changed), 1 the system failed. Nothing here reads `process`: bin.ts hands everything in.
import { accessSync, constants } from 'node:fs';
import { CONFIG_DIR, defaultConfigText } from './config.js';
import { InputError, SystemError, shown } from './errors.js';
import type { Env } from './event.js';
import { runFlush } from './flush.js';
import { runHook, type Deps } from './hook.js';
import { ipRunner } from './ip.js';
import { withLock } from './lock.js';
import { tagOf } from './log.js';
import { readTableNames } from './tables.js';
import { usage } from './usage.js';

declare const SRCROUTE_VERSION: string;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  uid: number;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function realDeps(env: Env, uid: number): Deps {
  return {
    env,
    uid,
    configDir: env.SRCROUTE_CONFIG_DIR || CONFIG_DIR,
    tables: () => readTableNames(),
    isExecutable,
    ip: (config) => ipRunner(config.ip, config.timeoutMs),
    lock: withLock,
  };
}

interface Command {
  flags: readonly string[];
  run: (flags: ReadonlySet<string>, deps: Deps, io: Io, tag: string) => Promise<void>;
}

/** Commands by name, with the flags each takes. No command at all is the hook. */
const COMMANDS: Record<string, Command> = {
  hook: {
    flags: ['--dry-run'],
    run: (flags, deps, io, tag) => runHook(deps, flags.has('--dry-run'), { out: io.out, log: io.err, tag }),
  },
  flush: {
    flags: ['--dry-run'],
    run: (flags, deps, io, tag) => runFlush(deps, flags.has('--dry-run'), { out: io.out, log: io.err, tag }),
  },
  config: {
    flags: ['--defaults'],
    run: async (flags, _deps, io) => {
      if (!flags.has('--defaults')) throw new InputError('config takes --defaults (see srcroute --help)');
      io.out(defaultConfigText().trimEnd());
    },
  },
};

export async function main(argv: readonly string[], env: Env, io: Io, deps: Deps = realDeps(env, io.uid)): Promise<number> {
  const args = [...argv];
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.out(usage);
    return 0;
  }
  if (args.some((a) => a === '--version' || a === '-V')) {
    io.out(`srcroute ${SRCROUTE_VERSION}`);
    return 0;
  }
  const name = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? args.shift()! : 'hook';
  const tag = name === 'hook' ? tagOf(env) : `srcroute ${name}`;
  try {
    const command = COMMANDS[name]!;
    const stray = args.find((a) => !command.flags.includes(a));
    if (stray !== undefined) throw new InputError(`unknown argument ${shown(stray)} (see srcroute --help)`);
    await command.run(new Set(args), deps, io, tag);
    return 0;
  } catch (e) {
    io.err(`${tag}: ${(e as Error).message}`);
    if (e instanceof InputError) return 2;
    if (!(e instanceof SystemError)) io.err(`${tag}: this is a bug in srcroute; please report it`);
    return 1;
  }
}
