// One way to narrow what was thrown (shared/errors.ts): a system call's error has a code; a bug
// (anything neither InputError nor SystemError) is never taken for the system failing.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError, SystemError, errorCode, isBug, systemCallError } from '../../src/shared/errors.js';

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

  it('isBug: only what is neither an InputError nor a SystemError', () => {
    expect([new InputError('x'), new SystemError('x'), typeError, enoent, 'text'].map(isBug)).toEqual([false, false, true, true, true]);
  });
});
