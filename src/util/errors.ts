/**
 * Errors a user can act on. Their messages are shown as they are, so they must never hold a
 * credential (see util/redact.ts); `exitCode` follows the CLI's table in docs/usage.md "Output and exit codes".
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad flags, malformed URI or project name, source equal to target. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Wrong or missing credentials, or not allowed. */
export class AuthError extends UserError {
  constructor(message: string) {
    super(message, 3);
    this.name = 'AuthError';
  }
}

/** Unknown project, workspace or run. */
export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message, 4);
    this.name = 'NotFoundError';
  }
}

/** The store cannot be reached or answered something we cannot use. */
export class UnreachableError extends UserError {
  constructor(message: string) {
    super(message, 5);
    this.name = 'UnreachableError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
