// Recorded DHCP client sessions (test/fixtures/SESSION/NN-REASON.env, `env | sort` as the hook
// saw it) loaded as ordered events, so tests replay exactly what real clients did.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export interface RecordedEvent {
  /** `02-BOUND` */
  name: string;
  env: Record<string, string>;
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
    .map((f) => ({ name: f.slice(0, -'.env'.length), env: parseEnvDump(readFileSync(join(dir, f), 'utf8')) }));
}
