// Golden files under test/golden: the expected text, rewritten from the actual output when
// UPDATE_GOLDEN=1 (then review the diff before committing).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const GOLDEN = resolve(__dirname, '../golden');

export function golden(name: string, actual: string): string {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(resolve(GOLDEN, name), actual);
  return readFileSync(resolve(GOLDEN, name), 'utf8');
}
