// The command line: which command runs, what it is handed, and which exit code it ends with.
// Exit codes live here only: 0 done (or nothing to do, or `check` found nothing wrong), 2 bad
// input or config (nothing was changed), 1 the system failed or `check` found a problem.
// Nothing here reads `process`: bin.ts hands everything in.
import { CONFIG_DIR, STATE_DIR, defaultConfigText } from './hook/config.js';
import { parseArgs } from 'node:util';
import { InputError, errorCode, isBug, messageOf, shown } from './shared/errors.js';
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

/** A command's arguments: its boolean flags and `--name value` options (long names without the dashes), the rest in order. */
export interface Args {
  flags: ReadonlySet<string>;
  options: ReadonlyMap<string, string>;
  positional: readonly string[];
}

/** What a command may report besides success; mapped to exit statuses in main(). */
type Verdict = 'healthy' | 'unhealthy' | void;

/** What a command takes, for node:util's parseArgs: flags and options by long name, no dashes. */
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
    flags: ['dry-run'],
    run: (args, deps, io, tag) => runHook(deps, args.flags.has('dry-run'), report(io, tag)),
  },
  flush: {
    flags: ['dry-run'],
    run: async (args, deps, io, tag) => (await import('./hook/flush.js')).runFlush(deps, args.flags.has('dry-run'), report(io, tag)),
  },
  config: {
    flags: ['defaults'],
    run: async (args, _deps, io) => {
      if (!args.flags.has('defaults')) throw new InputError('config takes --defaults (see srcroute config --help)');
      io.out(defaultConfigText().trimEnd());
    },
  },
  sync: {
    operator: true,
    flags: ['dry-run'],
    positional: { min: 0, max: 1 },
    run: async (args, deps, io) =>
      (await import('./operator/commands/sync.js')).runSync(deps, first(args), args.flags.has('dry-run'), { out: io.out, log: io.err }),
  },
  status: {
    operator: true,
    flags: ['json'],
    positional: { min: 0, max: 1 },
    run: async (args, deps, io) => (await import('./operator/commands/status.js')).runStatus(deps, first(args), args.flags.has('json'), io.out),
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
    flags: ['write', 'force'],
    options: ['parent', 'stack'],
    positional: { min: 1, max: 1 },
    run: async (args, deps, io) =>
      (await import('./operator/commands/macvlan.js')).runMacvlan(
        deps,
        {
          iface: args.positional[0]!,
          parent: args.options.get('parent'),
          stack: args.options.get('stack'),
          write: args.flags.has('write'),
          force: args.flags.has('force'),
        },
        io.out,
        io.err,
      ),
  },
};

/**
 * Split argv by what `command` takes, with node:util's parseArgs (strict: `--opt value`,
 * `--opt=value`, short flags); anything else is a usage error naming the help to read.
 */
function parseCommandArgs(name: string, command: Command, argv: readonly string[]): Args {
  const help = `see srcroute ${name === 'hook' ? '' : `${name} `}--help`;
  const options: Record<string, { type: 'boolean' | 'string' }> = {};
  for (const flag of command.flags) options[flag] = { type: 'boolean' };
  for (const option of command.options ?? []) options[option] = { type: 'string' };
  // dhcpcd runs the hook without arguments: skip parseArgs then, whose first call costs 0.3 ms
  // (Node 20; 0.7 ms on 18.19) of a hook that takes ~30 ms.
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] } = { values: {}, positionals: [] };
  try {
    if (argv.length > 0) parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw usageError(e, help);
  }
  const flags = new Set(command.flags.filter((f) => parsed.values[f] === true));
  const given = (command.options ?? []).flatMap((o) => (typeof parsed.values[o] === 'string' ? [[o, parsed.values[o]] as const] : []));
  const { min = 0, max = 0 } = command.positional ?? {};
  const extra = parsed.positionals[max];
  if (extra !== undefined) throw new InputError(`unknown argument ${shown(extra)} (${help})`);
  if (parsed.positionals.length < min) throw new InputError(`${name} needs an interface name (${help})`);
  return { flags, options: new Map(given), positional: parsed.positionals };
}

/** parseArgs' complaint as one line; what it names is quoted from its message (Node 18 to 22 alike). */
function usageError(e: unknown, help: string): InputError {
  const code = errorCode(e);
  if (code === undefined || !code.startsWith('ERR_PARSE_ARGS_')) throw e; // a bug
  const option = /'(-[^' ]*)/.exec(messageOf(e))?.[1] ?? '';
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return new InputError(`unknown argument ${shown(option)} (${help})`);
  if (/does not take an argument/.test(messageOf(e))) return new InputError(`${option} takes no value (${help})`);
  return new InputError(`${option} needs a value (${help})`);
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
    const parsed = parseCommandArgs(name, command, args);
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
