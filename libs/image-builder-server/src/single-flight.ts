/**
 * One run of `work` per key at a time: callers that ask for a key already in
 * flight get the same promise, so concurrent identical requests make one build.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const current = this.running.get(key);
    if (current) return { result: current, joined: true };
    const result = work().finally(() => this.running.delete(key));
    this.running.set(key, result);
    return { result, joined: false };
  }
}
