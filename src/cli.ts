// The command line: which command runs, what it is handed, and which exit code it ends with.
// Exit codes live here only: 0 done (or nothing to do, or `check` found nothing wrong), 2 bad
// input or config (nothing was changed), 1 the system failed or `check` found a problem.
// Nothing here reads `process`: bin.ts hands everything in.
import { CONFIG_DIR, STATE_DIR, defaultConfigText } from './hook/config.js';
import { InputError, isBug, messageOf, shown } from './shared/errors.js';
import type { Env } from './hook/event.js';
import { isExecutable } from './shared/files.js';
import { runHook, type Deps } from './hook/hook.js';
import { ipRunner } from './kernel/ip.js';
import { fileLocker } from './kernel/lock.js';
import { tagOf } from './hook/log.js';
import type { OperatorDeps } from './operator/deps.js';
import { readTableNames } from './kernel/tables.js';
import { commandHelp, usage } from './usage.js';

declare const SRCROUTE_VERSION: string;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  uid: number;
}

/** What the hook needs from the machine. The operator commands add theirs in operator-deps.ts. */
export function realDeps(env: Env, uid: number): Deps {
  return {
    env,
    uid,
    configDir: env.SRCROUTE_CONFIG_DIR || CONFIG_DIR,
    tables: () => readTableNames(),
    isExecutable,
    ip: (config) => ipRunner(config.ip, config.timeoutMs),
    lock: fileLocker(env.SRCROUTE_STATE_DIR || STATE_DIR),
  };
}

/** A command's arguments: its boolean flags, its `--name value` options, the rest in order. */
export interface Args {
  flags: ReadonlySet<string>;
  options: ReadonlyMap<string, string>;
  positional: readonly string[];
}

/** What a command may report besides success; mapped to exit statuses in main(). */
type Verdict = 'healthy' | 'unhealthy' | void;

interface Spec {
  flags: readonly string[];
  options?: readonly string[];
  /** How many positional arguments it takes. */
  positional?: { min: number; max: number };
}

/**
 * The hook and its closest kin run with the hook's deps. The operator commands, and the
 * modules they need, are loaded only when asked for: dhcpcd starts the hook on every lease
 * event, and every module loaded there is startup time dhcpcd waits for.
 */
type Command =
  | (Spec & { operator?: false; run: (args: Args, deps: Deps, io: Io, tag: string) => Promise<Verdict> })
  | (Spec & { operator: true; run: (args: Args, deps: OperatorDeps, io: Io, tag: string) => Promise<Verdict> });

const report = (io: Io, tag: string) => ({ out: io.out, log: io.err, tag });
const first = (args: Args): string | null => args.positional[0] ?? null;

/** Commands by name, with the arguments each takes. No command at all is the hook. */
const COMMANDS: Record<string, Command> = {
  hook: {
    flags: ['--dry-run'],
    run: (args, deps, io, tag) => runHook(deps, args.flags.has('--dry-run'), report(io, tag)),
  },
  flush: {
    flags: ['--dry-run'],
    run: async (args, deps, io, tag) => (await import('./hook/flush.js')).runFlush(deps, args.flags.has('--dry-run'), report(io, tag)),
  },
  config: {
    flags: ['--defaults'],
    run: async (args, _deps, io) => {
      if (!args.flags.has('--defaults')) throw new InputError('config takes --defaults (see srcroute config --help)');
      io.out(defaultConfigText().trimEnd());
    },
  },
  sync: {
    operator: true,
    flags: ['--dry-run'],
    positional: { min: 0, max: 1 },
    run: async (args, deps, io) =>
      (await import('./operator/commands/sync.js')).runSync(deps, first(args), args.flags.has('--dry-run'), { out: io.out, log: io.err }),
  },
  status: {
    operator: true,
    flags: ['--json'],
    positional: { min: 0, max: 1 },
    run: async (args, deps, io) => (await import('./operator/commands/status.js')).runStatus(deps, first(args), args.flags.has('--json'), io.out),
  },
  check: {
    operator: true,
    flags: [],
    positional: { min: 0, max: 1 },
    run: async (args, deps, io) => (await import('./operator/commands/check.js')).runCheck(deps, first(args), io.out),
  },
  mac: {
    operator: true,
    flags: [],
    positional: { min: 1, max: 1 },
    run: async (args, deps, io) => (await import('./operator/commands/mac.js')).runMac(deps, args.positional[0]!, io.out),
  },
  macvlan: {
    operator: true,
    flags: ['--write', '--force'],
    options: ['--parent', '--stack'],
    positional: { min: 1, max: 1 },
    run: async (args, deps, io) =>
      (await import('./operator/commands/macvlan.js')).runMacvlan(
        deps,
        {
          iface: args.positional[0]!,
          parent: args.options.get('--parent'),
          stack: args.options.get('--stack'),
          write: args.flags.has('--write'),
          force: args.flags.has('--force'),
        },
        io.out,
        io.err,
      ),
  },
};

/** Split argv by what `command` takes; anything else is a usage error naming the help to read. */
function parseArgs(name: string, command: Command, argv: readonly string[]): Args {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const positional: string[] = [];
  const help = `see srcroute ${name === 'hook' ? '' : `${name} `}--help`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const key = a.startsWith('--') && eq !== -1 ? a.slice(0, eq) : a;
    if (command.flags.includes(a)) flags.add(a);
    else if (command.options?.includes(key)) {
      const value = key !== a ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new InputError(`${a} needs a value (${help})`);
      options.set(key, value);
    } else if (!a.startsWith('-') && positional.length < (command.positional?.max ?? 0)) positional.push(a);
    else throw new InputError(`unknown argument ${shown(a)} (${help})`);
  }
  if (positional.length < (command.positional?.min ?? 0)) throw new InputError(`${name} needs an interface name (${help})`);
  return { flags, options, positional };
}

/** Tests hand in fakes for some of the deps (`given`); the rest are the real ones. */
export async function main(argv: readonly string[], env: Env, io: Io, given?: Partial<OperatorDeps>): Promise<number> {
  const deps: Deps = { ...realDeps(env, io.uid), ...given };
  const args = [...argv];
  const name = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? args.shift()! : 'hook';
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.out(name === 'hook' ? usage : commandHelp[name] ?? usage);
    return 0;
  }
  if (args.some((a) => a === '--version' || a === '-V')) {
    io.out(`srcroute ${SRCROUTE_VERSION}`);
    return 0;
  }
  const tag = name === 'hook' ? tagOf(env) : `srcroute ${name}`;
  try {
    const command = COMMANDS[name]!;
    const parsed = parseArgs(name, command, args);
    const verdict = command.operator
      ? await command.run(parsed, { ...(await import('./operator/deps.js')).machineDeps(), ...deps, ...given }, io, tag)
      : await command.run(parsed, deps, io, tag);
    return verdict === 'unhealthy' ? 1 : 0;
  } catch (e) {
    io.err(`${tag}: ${messageOf(e)}`);
    if (e instanceof InputError) return 2;
    if (isBug(e)) io.err(`${tag}: this is a bug in srcroute; please report it`);
    return 1;
  }
}
