/** The one secret every bench server verifies with and the bench signs with. */
export const BENCH_SECRET = 'bench-secret-0123456789';
