// The command line: which command runs, what it is handed, and which exit code it ends with.
// Exit codes live here only: 0 done (or nothing to do, or `check` found nothing wrong), 2 bad
// input or config (nothing was changed), 1 the system failed or `check` found a problem.
// Nothing here reads `process`: bin.ts hands everything in.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportTo } from './hook/apply.js';
import { InputError, errorCode, messageOf, reportLines, shown } from './shared/errors.js';
import type { Args, Command, Io, Verdict } from './shared/command.js';
import type { Env } from './hook/env.js';
import { isExecutable } from './shared/files.js';
import { HOOKS_DIR_NAME, stateDirOf, systemPaths } from './shared/paths.js';
import { runHook, type Deps } from './hook/hook.js';
import { raSignatureFiles } from './hook/ra-signature.js';
import { hooksNotifier } from './hook/followed.js';
import type { Start } from './hook/notify.js';
import { ipSessions } from './kernel/ip.js';
import { fileLocker } from './kernel/lock.js';
import { tagOf } from './hook/log.js';
import { clearRecord } from './hook/heal-record.js';
import { isInterfaceName } from './hook/event.js';
import type { OperatorDeps } from './operator/deps.js';
import { readTableNames } from './kernel/tables.js';
import { usage } from './usage.js';

declare const SRCROUTE_VERSION: string;
/** The version build.mjs writes in; run from source (the tests), none. */
const VERSION = typeof SRCROUTE_VERSION === 'string' ? SRCROUTE_VERSION : 'from source';

/** The hook's directories that hooks.d's runner must use too. */
const PASSED_ON = ['SRCROUTE_CONFIG_DIR', 'SRCROUTE_STATE_DIR'] as const;

/**
 * What the hook needs from the machine (`self`: how to run this program again, for hooks.d's
 * runner). The operator commands add theirs in operator/deps.ts.
 */
export function realDeps(env: Env, uid: number, self: readonly string[] = []): Deps {
  const paths = systemPaths();
  const configDir = env.SRCROUTE_CONFIG_DIR || paths.config;
  const state = stateDirOf(env, paths.state);
  // hooks.d's runner reads its scripts and takes its lock where this hook did
  const passOn = Object.fromEntries(PASSED_ON.filter((k) => env[k]).map((k) => [k, env[k]!]));
  const hooksDir = join(configDir, HOOKS_DIR_NAME);
  const spawn = { self, hooksDir, systemdDir: '/run/systemd/system', devLog: '/dev/log', passOn };
  const starter = async (): Promise<Start> => (await import('./hook/hooks-spawn.js')).hooksStarter(spawn);
  return {
    env,
    uid,
    configDir,
    tables: () => readTableNames(),
    isExecutable,
    ip: (config, family) => ipSessions(config.ip, config.timeoutMs)(family),
    lock: fileLocker(state),
    raSignatures: raSignatureFiles(state),
    notify: hooksNotifier({ stateDir: state, ifInet6: join(paths.proc, 'net', 'if_inet6'), starter }),
  };
}

/** The hook: srcroute without a command word, as the DHCP client runs it. Its help is srcroute's. */
const hook: Command<Deps> = {
  help: usage,
  flags: ['dry-run'],
  run: (args, deps, io, tag) => {
    // a lease event: `srcroute heal` restores this interface again (one unlink, ENOENT when it never stopped)
    const iface = deps.env.interface;
    const dry = args.flags.has('dry-run');
    if (iface !== undefined && isInterfaceName(iface) && !dry) clearRecord(stateDirOf(deps.env), iface);
    return runHook(deps, dry, reportTo(io, tag));
  },
};

/**
 * Every command by name, and what it runs with: the hook's deps, or the operator's as well.
 * Only the hook is loaded up front: dhcpcd starts it on every lease event, and every module
 * loaded there is startup time dhcpcd waits for. Any other command's module (its arguments,
 * help and run: shared/command.ts) is loaded when asked for.
 */
type Entry =
  | { operator: false; load: () => Promise<Command<Deps>> }
  | { operator: true; load: () => Promise<Command<OperatorDeps>> };

const COMMANDS: Record<string, Entry> = {
  hook: { operator: false, load: async () => hook },
  install: { operator: true, load: async () => (await import('./install/install-command.js')).command },
  status: { operator: true, load: async () => (await import('./operator/commands/status.js')).command },
  check: { operator: true, load: async () => (await import('./operator/commands/check.js')).command },
  sync: { operator: true, load: async () => (await import('./operator/commands/sync.js')).command },
  uninstall: { operator: true, load: async () => (await import('./install/uninstall-command.js')).command },
  heal: { operator: true, load: async () => (await import('./operator/commands/heal.js')).command },
  mac: { operator: true, load: async () => (await import('./operator/commands/mac.js')).command },
  macvlan: { operator: true, load: async () => (await import('./operator/commands/macvlan.js')).command },
  flush: { operator: false, load: async () => (await import('./hook/flush.js')).command },
  config: { operator: false, load: async () => (await import('./hook/config-command.js')).command },
  // hooks.d's runner, started by the hook when an address changed (hook/hooks-spawn.ts); not in --help
  'run-hooks': { operator: false, load: async () => (await import('./hook/run-hooks.js')).command },
};

/** The command words, in the order a newcomer needs them (srcroute --help and srcroute(8) list them so). */
export const COMMAND_NAMES = Object.keys(COMMANDS).filter((name) => name !== 'hook' && name !== 'run-hooks');

/** A command's help text (srcroute(8) is made of them: build/man-pages.ts). */
export const helpOf = async (name: string): Promise<string> => (await COMMANDS[name]!.load()).help;

/**
 * Split argv by what `command` takes, with node:util's parseArgs (strict: `--opt value`,
 * `--opt=value`, short flags); anything else is a usage error naming the help to read.
 */
function parseCommandArgs(name: string, command: Command<never>, argv: readonly string[]): Args {
  const help = `see srcroute ${name === 'hook' ? '' : `${name} `}--help`;
  const options: Record<string, { type: 'boolean' | 'string' }> = {};
  for (const flag of command.flags) options[flag] = { type: 'boolean' };
  for (const option of command.options ?? []) options[option] = { type: 'string' };
  // dhcpcd runs the hook without arguments: skip parseArgs then, whose first call costs 0.3 ms
  // (Node 20; 0.7 ms on 18.19) of a hook that takes ~30 ms.
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] } = {
    values: {},
    positionals: [],
  };
  try {
    if (argv.length > 0) parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw usageError(e, help);
  }
  const flags = new Set(command.flags.filter((f) => parsed.values[f] === true));
  const given = (command.options ?? []).flatMap((o) =>
    typeof parsed.values[o] === 'string' ? [[o, parsed.values[o]] as const] : [],
  );
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
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return new InputError(`unknown argument ${shown(option)} (${help})`);
  if (/does not take an argument/.test(messageOf(e))) return new InputError(`${option} takes no value (${help})`);
  return new InputError(`${option} needs a value (${help})`);
}

/** Parse `argv` by what `command` takes, then run it. */
async function runCommand<D>(
  name: string,
  command: Command<D>,
  argv: readonly string[],
  deps: D,
  io: Io,
  tag: string,
): Promise<Verdict> {
  return command.run(parseCommandArgs(name, command, argv), deps, io, tag);
}

/** Tests hand in fakes for some of the deps (`given`); the rest are the real ones. */
export async function main(argv: readonly string[], env: Env, io: Io, given?: Partial<OperatorDeps>): Promise<number> {
  const deps: Deps = { ...realDeps(env, io.uid, io.self), ...given };
  const args = [...argv];
  const name = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? args.shift()! : 'hook';
  const entry = COMMANDS[name]!;
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.out((await entry.load()).help);
    return 0;
  }
  if (args.some((a) => a === '--version' || a === '-V')) {
    io.out(`srcroute ${VERSION}`);
    return 0;
  }
  // install.sh hands over to install and uninstall (SRCROUTE_INSTALLER=install.sh): their messages are its
  const installer = (name === 'install' || name === 'uninstall') && env.SRCROUTE_INSTALLER === 'install.sh';
  const tag = name === 'hook' ? tagOf(env) : installer ? 'install.sh' : `srcroute ${name}`;
  try {
    const verdict = entry.operator
      ? await runCommand(
          name,
          await entry.load(),
          args,
          { ...(await import('./operator/deps.js')).machineDeps(), ...deps, ...given },
          io,
          tag,
        )
      : await runCommand(name, await entry.load(), args, deps, io, tag);
    return verdict === 'unhealthy' ? 1 : 0;
  } catch (e) {
    const debug = env.SRCROUTE_DEBUG === '1';
    for (const line of reportLines(e, { tag, hook: name === 'hook', debug, version: VERSION })) io.err(line);
    return e instanceof InputError ? 2 : 1;
  }
}
