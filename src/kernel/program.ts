// Runs a program other than ip(8) (dhcpcd's lease dump) through spawn.ts, bounded in time. stdin
// is /dev/null on purpose: dhcpcd -U reads a lease from stdin whenever stdin has bytes waiting
// (FIONREAD), and a pipe makes it flip between the two modes (upstream dhcpcd issue #285).
import { startChild } from './spawn.js';

export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type ProgramRunner = (argv: readonly string[], timeoutMs: number) => Promise<ProgramResult>;

/** The code of a run killed (or timed out): 128 + SIGKILL, as a shell says it. */
export const KILLED = 128 + 9;

/** Its exit code; 127 when it could not be started, KILLED when it was killed (or timed out). */
export const runProgram: ProgramRunner = (argv, timeoutMs) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = startChild(argv, { stdin: false }, {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      end: (how) => {
        if (how.kind === 'not-started') resolve({ code: 127, stdout, stderr: how.why });
        else resolve({ code: how.kind === 'exited' && how.code !== null ? how.code : KILLED, stdout, stderr });
      },
    });
    child.limit(timeoutMs);
  });
