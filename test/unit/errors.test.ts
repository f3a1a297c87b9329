// One way to narrow what was thrown (shared/errors.ts): a system call's error has a code and a
// syscall; a bug (anything neither InputError, SystemError nor a failed system call) is never taken
// for the system failing, and each class is reported its own way (reportLines).
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  InputError,
  SystemError,
  classOf,
  errorCode,
  isBug,
  reportLines,
  systemCallError,
} from '../../src/shared/errors.js';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};
const enoent = thrown(() => statSync('/nonexistent/srcroute'));
const typeError = thrown(() => (undefined as unknown as { table: number }).table);

describe('narrowing errors', () => {
  it('errorCode: the code of a system call error, nothing for anything else', () => {
    expect(errorCode(enoent)).toBe('ENOENT');
    expect(errorCode(typeError)).toBeUndefined();
    expect(errorCode({ code: 'ENOENT' })).toBeUndefined();
    expect(errorCode('ENOENT')).toBeUndefined();
  });

  it('systemCallError: hands a system call error back, throws a bug on', () => {
    expect(systemCallError(enoent)).toBe(enoent);
    expect(() => systemCallError(typeError)).toThrow(typeError as Error);
  });

  it('isBug: only what is neither an InputError, a SystemError nor a failed system call', () => {
    expect([new InputError('x'), new SystemError('x'), typeError, enoent, 'text'].map(isBug)).toEqual([
      false,
      false,
      true,
      false,
      true,
    ]);
  });
});

/** Node's own argument errors carry a code, but no syscall: a bug of the caller's. */
const argError = thrown(() => statSync(42 as unknown as string));
const rangeError = thrown(() => new Array(-1));
const busy = Object.assign(new Error("EBUSY: resource busy or locked, rmdir '/run/srcroute'"), {
  code: 'EBUSY',
  syscall: 'rmdir',
  path: '/run/srcroute',
});
const pathless = Object.assign(new Error('EACCES: permission denied'), {
  code: 'EACCES',
  syscall: 'open',
  path: '/etc/srcroute/srcroute.env',
});

describe('each class of error, reported its own way', () => {
  it.each([
    ['an InputError', new InputError('bad'), 'input'],
    ['a SystemError', new SystemError('ip failed'), 'system'],
    ['ENOENT from a system call', enoent, 'system'],
    ['EBUSY from a system call', busy, 'system'],
    ['a TypeError', typeError, 'bug'],
    ['a RangeError', rangeError, 'bug'],
    ["Node's ERR_INVALID_ARG_TYPE (a code, no syscall)", argError, 'bug'],
    ['a thrown string', 'text', 'bug'],
  ])('%s is %s', (_name, e, kind) => {
    expect(classOf(e)).toBe(kind);
  });

  const context = { tag: 'srcroute status', hook: false, debug: false, version: '1.2.3' };
  const hook = { ...context, tag: 'srcroute[eth0v0]', hook: true };

  it.each([
    ['an InputError, in a command', new InputError('bad'), context, ['srcroute status: bad']],
    ['an InputError, in the hook', new InputError('bad'), hook, ['srcroute[eth0v0]: bad']],
    ['a SystemError, in the hook', new SystemError('ip failed'), hook, ['srcroute[eth0v0]: ip failed']],
    [
      'EBUSY, its path in its message',
      busy,
      context,
      ["srcroute status: EBUSY: resource busy or locked, rmdir '/run/srcroute'"],
    ],
    [
      'EACCES, its path added',
      pathless,
      hook,
      ['srcroute[eth0v0]: EACCES: permission denied (/etc/srcroute/srcroute.env)'],
    ],
  ])('%s: one line', (_name, e, c, lines) => {
    expect(reportLines(e, c)).toEqual(lines);
  });

  it('a bug in a command: "bug:" and its name, its stack, then what to report', () => {
    const lines = reportLines(typeError, context);
    expect(lines[0]).toBe("srcroute status: bug: TypeError: Cannot read properties of undefined (reading 'table')");
    expect(lines.slice(1, -1).length).toBeGreaterThan(0);
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/^\s+at /);
    expect(lines.at(-1)).toBe(
      'srcroute status: this is a bug in srcroute; please report it with the lines above (srcroute 1.2.3)',
    );
  });

  it('a bug in the hook: one line that says how to get the stack', () => {
    expect(reportLines(rangeError, hook)).toEqual([
      'srcroute[eth0v0]: bug: RangeError: Invalid array length (this is a bug in srcroute; please report it, ' +
        'srcroute 1.2.3; SRCROUTE_DEBUG=1 in its environment prints the stack (dhcpcd.conf: env SRCROUTE_DEBUG=1))',
    ]);
  });

  it('a bug in the hook under SRCROUTE_DEBUG=1: the line, then the stack', () => {
    const [first, ...stack] = reportLines(rangeError, { ...hook, debug: true });
    expect(first).toBe(
      'srcroute[eth0v0]: bug: RangeError: Invalid array length (this is a bug in srcroute; please report it, ' +
        'srcroute 1.2.3)',
    );
    expect(stack.length).toBeGreaterThan(0);
    for (const l of stack) expect(l).toMatch(/^\s+at /);
  });
});

describe("the installer's own files", () => {
  it('a dist/ file missing is a broken installation to reinstall, not a bug', async () => {
    const { readDist } = await import('../../src/install/gather.js');
    const e = thrown(() => readDist('/nonexistent/srcroute/dist', 'hook.cjs'));
    expect(classOf(e)).toBe('system');
    expect((e as Error).message).toMatch(/^cannot read \/nonexistent\/srcroute\/dist\/hook\.cjs \(ENOENT: .*\): /);
    expect((e as Error).message).toContain('reinstall srcroute');
  });
});
