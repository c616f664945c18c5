import { describe, expect, it } from 'vitest';
import { ioError, ServiceError, toApiError } from '../../main/services/service-error';

const errno = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code });

describe('file errors travel with a code the interface can act on', () => {
  it.each([
    ['ENOSPC', 'disk_full'],
    ['EDQUOT', 'disk_full'],
    ['EFBIG', 'disk_full'],
    ['EACCES', 'io_error'],
    ['EIO', 'io_error'],
  ])('%s → %s', (code, expected) => {
    const wrapped = ioError('could not save "chapter-one"', errno(code));
    expect(wrapped).toBeInstanceOf(ServiceError);
    expect(wrapped.code).toBe(expected);
    expect(wrapped.message).toContain('chapter-one');
    expect(toApiError(errno(code)).code).toBe(expected);
  });

  it('a thrown non-file error stays internal', () => {
    expect(toApiError(new Error('boom'))).toEqual({ code: 'internal', message: 'internal error: boom' });
  });
});
