/**
 * Expected failures of a service (a missing document, a full disk) carry a
 * contract ErrorCode so the router can hand them to the renderer as data.
 * Anything else a service throws is a programmer error and becomes 'internal'.
 */
import type { ApiError, ErrorCode } from '../../common/contract';
import { diskFullReason } from './atomic-write';

export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

/** The errno code of a Node fs error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
}

/** disk_full for ENOSPC, EDQUOT and EFBIG (the interface can then say "free some space"), else io_error. */
function fileErrorCode(err: unknown): 'disk_full' | 'io_error' {
  return diskFullReason(errnoCode(err)) !== null ? 'disk_full' : 'io_error';
}

/** Wraps a failed file operation as io_error (or disk_full), keeping the context in the message. */
export function ioError(what: string, err: unknown): ServiceError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ServiceError(fileErrorCode(err), `${what}: ${reason}`, { cause: err });
}

/** Converts anything thrown by a service into the ApiError that travels to the renderer. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  if (errnoCode(err) !== undefined && err instanceof Error) return { code: fileErrorCode(err), message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `internal error: ${message}` };
}
