// `srcroute config --defaults`: the commented default srcroute.env, as srcroute install installs it.
import { InputError } from '../shared/errors.js';
import type { Command } from '../shared/command.js';
import { defaultConfigText } from './config.js';
import type { Deps } from './hook.js';

export const command: Command<Deps> = {
  help: `Usage: srcroute config --defaults

Print the commented default /etc/srcroute/srcroute.env: every key, its
default, what it does (srcroute.env(5)).

Options:
  --defaults  print the defaults (the only thing this command does)

Example:
  srcroute config --defaults > /etc/srcroute/srcroute.env`,
  flags: ['defaults'],
  run: async (args, _deps, io) => {
    if (!args.flags.has('defaults')) throw new InputError('config takes --defaults (see srcroute config --help)');
    io.out(defaultConfigText().trimEnd());
  },
};
