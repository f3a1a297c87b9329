// The config files' parser against dotenv, whose syntax the files promise: the table below is
// what admins write, and the property test feeds both parsers generated files, where every file
// srcroute accepts must come out exactly as dotenv.parse() reads it. dotenv stays a
// devDependency for this comparison only.
import { parse } from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/hook/env-file.js';
import { InputError } from '../../src/shared/errors.js';

const SEED = 0x5e7f11e;

describe('parseEnvFile', () => {
  it.each<[string, string, Record<string, string>]>([
    ['nothing', '', {}],
    ['comments and blank lines', '# srcroute\n\n   \n\t# indented\n', {}],
    ['a bare value', 'TABLE=123\n', { TABLE: '123' }],
    ['no final newline', 'TABLE=123', { TABLE: '123' }],
    ['CRLF line ends', 'TABLE=123\r\nPRIORITY=900\r\n', { TABLE: '123', PRIORITY: '900' }],
    ['spaces around =, around the value', '  TABLE =  pub  \n', { TABLE: 'pub' }],
    ['double quotes', 'TABLE="pub"\n', { TABLE: 'pub' }],
    ['single quotes', "PRIORITY='900' # inline\n", { PRIORITY: '900' }],
    ['backticks', 'TABLE=`isp2`\n', { TABLE: 'isp2' }],
    ['an inline comment', 'IP=/sbin/ip # the Debian one\n', { IP: '/sbin/ip' }],
    ['a # inside quotes', 'TABLE="a#b"\n', { TABLE: 'a#b' }],
    ['an empty value', 'IP=\n', { IP: '' }],
    ['an empty quoted value', 'IP=""\n', { IP: '' }],
    ['a value that is only a comment', 'IP=# none\n', { IP: '' }],
    ['export', 'export TABLE=124\n', { TABLE: '124' }],
    ['later lines win', 'TABLE=123\nTABLE=124\n', { TABLE: '124' }],
    ['\\n in double quotes', 'X="a\\nb"\n', { X: 'a\nb' }],
    ['\\n in single quotes stays', "X='a\\nb'\n", { X: 'a\\nb' }],
    ['an escaped quote stays escaped', 'X="a\\"b"\n', { X: 'a\\"b' }],
    ['a substitution stays text', 'IP=$(touch /tmp/x)\n', { IP: '$(touch /tmp/x)' }],
    ['spaces inside a bare value', 'TABLE=pub reboot\n', { TABLE: 'pub reboot' }],
  ])('reads %s as dotenv does', (_, text, values) => {
    expect({ ...parseEnvFile(text, 'f.env') }).toEqual(values);
    expect(parse(text)).toEqual(values);
  });

  it.each<[string, string]>([
    ['a line without =', 'TABLE 124\n'],
    ['YAML style', 'TABLE: 124\n'],
    ['a quote left open (dotenv would read on into the next lines)', 'IP="/sbin/ip\nTABLE=123"\n'],
    ['words after the closing quote', 'TABLE="" ; reboot\n'],
    ['a quoted value with a tail', "PRIORITY='1000'x\n"],
    ['junk', 'export\n'],
    ['a key with a space', 'MY KEY=1\n'],
  ])('refuses %s, naming the line (dotenv would skip it or read it as something else)', (_, text) => {
    expect(() => parseEnvFile(text, '/etc/srcroute/srcroute.env')).toThrow(InputError);
    expect(() => parseEnvFile(text, '/etc/srcroute/srcroute.env')).toThrow(/^cannot read line 1 of \/etc\/srcroute\/srcroute\.env: ".*" is not KEY=value/);
  });

  it('keeps __proto__ as a key (so that the caller refuses it) instead of setting a prototype', () => {
    expect(Object.keys(parseEnvFile('__proto__=x\n', 'f.env'))).toEqual(['__proto__']);
  });

  it('reads every file it accepts exactly as dotenv does (generated files)', () => {
    const piece = fc.constantFrom(
      'TABLE', 'IP', 'export ', '=', ' = ', ' ', '\t', '#', ' # c', "'", '"', '`', '\\', '\\n', '\\r', 'pub', '123',
      '/sbin/ip', '$(id)', ';', ':', ': ', '.', '-', '_', 'x y', '\n', '\r\n', '\r', 'é',
    );
    const line = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
      fc.tuple(fc.constantFrom('', ' ', 'export '), fc.constantFrom('TABLE', 'A.b-c_1'), fc.constantFrom('=', ' =', '= ', ' = '),
        fc.constantFrom('', "'", '"', '`'), fc.array(piece, { maxLength: 4 }).map((p) => p.join('').replace(/[\r\n]/g, '')),
        fc.constantFrom('', ' ', ' # note', '#x'))
        .map(([pre, key, eq, q, value, tail]) => `${pre}${key}${eq}${q}${value}${q}${tail}`),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), (lines) => {
        const text = lines.join('\n');
        let ours: Record<string, string>;
        try {
          ours = parseEnvFile(text, 'f.env');
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          return;
        }
        accepted++;
        expect({ ...ours }).toEqual(parse(text));
      }),
      { seed: SEED, numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });
});
