/** MLflow JSON errors: codes, HTTP statuses and the extra keys the 3.11 server adds. */

const STATUS: Record<string, number> = {
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  INVALID_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  CUSTOMER_UNAUTHORIZED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  NOT_IMPLEMENTED: 501,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_CONFLICT: 409,
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
};

/** error_code -> [sqlstate, error_class] as recorded from 3.11 (absent = no extra keys). */
const EXTRA: Record<string, [string, string]> = {
  INVALID_PARAMETER_VALUE: ['KAM00', 'INVALID_PARAMETER_VALUE'],
  BAD_REQUEST: ['KAM00', 'INVALID_PARAMETER_VALUE'],
  RESOURCE_DOES_NOT_EXIST: ['KAM00', 'RESOURCE_NOT_FOUND'],
  NOT_FOUND: ['KAM00', 'RESOURCE_NOT_FOUND'],
  RESOURCE_ALREADY_EXISTS: ['KAM00', 'RESOURCE_ALREADY_EXISTS'],
  FEATURE_DISABLED: ['KAM00', 'FEATURE_DISABLED'],
  INVALID_STATE: ['XXM00', 'CLIENT_INTERNAL_ERROR'],
  INTERNAL_ERROR: ['XXM00', 'CLIENT_INTERNAL_ERROR'],
  PERMISSION_DENIED: ['KAM00', 'PERMISSION_DENIED'],
};

export class MlflowError extends Error {
  /** `plain` errors carry only error_code + message (e.g. NOT_IMPLEMENTED from the artifact repo). */
  constructor(
    readonly code: string,
    message: string,
    readonly plain = false,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code] ?? 500;
  }

  body(): Record<string, string> {
    const out: Record<string, string> = { error_code: this.code, message: this.message };
    const extra = EXTRA[this.code];
    if (extra && !this.plain) {
      out.sqlstate = extra[0];
      out.error_class = extra[1];
    }
    return out;
  }
}

export const invalidParam = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string) => new MlflowError('RESOURCE_ALREADY_EXISTS', message);

/** Text the SQLAlchemy IntegrityError adds to "already exists" messages. */
export const SQLA_BACKGROUND = '(Background on this error at: https://sqlalche.me/e/20/gkpj)';
