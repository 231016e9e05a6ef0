/**
 * A failure the CLI reports as one line saying what to do, with its exit status: 2 for a usage or
 * configuration mistake, 1 for the rest (a service that does not answer, a port in use).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
