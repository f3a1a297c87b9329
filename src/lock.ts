// Serialises srcroute runs that touch the same table: two hooks for one interface can overlap
// (a slow hook and a fast renumber), and each must read-decide-write alone. The lock is an
// abstract unix socket name: the kernel releases it when its holder dies, however it dies, so
// there is never a stale lock to break, and it belongs to the network namespace whose routing
// it protects. Waiting is bounded: dhcpcd is blocked while we wait.
import { createServer, type Server } from 'node:net';
import { SystemError } from './errors.js';

export type Locker = <T>(name: string, timeoutMs: number, fn: () => Promise<T>) => Promise<T>;

function tryListen(name: string): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(null) : reject(e)));
    server.listen({ path: `\0${name}` }, () => resolve(server));
  });
}

export const withLock: Locker = async (name, timeoutMs, fn) => {
  const deadline = Date.now() + timeoutMs;
  let server: Server | null;
  try {
    while ((server = await tryListen(name)) === null) {
      if (Date.now() >= deadline) throw new SystemError(`another srcroute run held the lock ${name} for ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
    }
  } catch (e) {
    if (e instanceof SystemError) throw e;
    throw new SystemError(`cannot take the lock ${name}: ${(e as Error).message}`);
  }
  try {
    return await fn();
  } finally {
    server.close();
  }
};
