/**
 * A scenario's own deadline, shorter than the test's timeout, so that a stall fails with what the
 * scenario had done and what its clients said — a bare "Test timed out" tells nothing, and CI
 * keeps only the tail of the output.
 */
export async function withinDeadline<T>(ms: number, what: string, run: () => Promise<T>, context: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms\n${context()}`)), ms);
  });
  try {
    return await Promise.race([run(), late]);
  } finally {
    clearTimeout(timer);
  }
}
