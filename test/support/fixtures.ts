// Recorded DHCP client sessions (test/fixtures/SESSION/NN-REASON.env, `env | sort` as the hook
// saw it) loaded as ordered events, so tests replay exactly what real clients did; with the
// kernel's state when the hook ran (NN-REASON.state.json, `ip -j` of addresses, routes and
// rules) where the recorder kept it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export interface RecordedEvent {
  /** `02-BOUND` */
  name: string;
  env: Record<string, string>;
  /** The kernel's state when the hook ran, if recorded: addr6/route6/rule6 and addr4/route4/rule4. */
  state?: Record<string, unknown>;
}

export function parseEnvDump(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export function sessionNames(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(FIXTURES, d.name)).some((f) => f.endsWith('.env')))
    .map((d) => d.name)
    .sort();
}

export function loadSession(name: string): RecordedEvent[] {
  const dir = join(FIXTURES, name);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.env'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.env'.length);
      const statePath = join(dir, `${name}.state.json`);
      const env = parseEnvDump(readFileSync(join(dir, f), 'utf8'));
      return existsSync(statePath) ? { name, env, state: JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown> } : { name, env };
    });
}
