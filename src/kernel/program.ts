// Runs a program other than ip(8) (dhcpcd's lease dump), bounded in time. stdin is /dev/null on
// purpose: dhcpcd -U reads a lease from stdin whenever stdin has bytes waiting (FIONREAD), and a
// pipe makes it flip between the two modes (upstream dhcpcd issue #285).
import { spawn } from 'node:child_process';

export interface ProgramResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type ProgramRunner = (argv: readonly string[], timeoutMs: number) => Promise<ProgramResult>;

export const runProgram: ProgramRunner = (argv, timeoutMs) =>
  new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + 9, stdout, stderr });
    });
  });
