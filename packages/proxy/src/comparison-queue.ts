/**
 * Work kept off the request path: tasks run a batch per event-loop turn (setImmediate), after I/O.
 * Bounded: when `capacity` tasks wait, `push` refuses and the caller counts the drop.
 */
export class ComparisonQueue {
  private readonly tasks: (() => void)[] = [];
  private scheduled = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly capacity = 1024,
    private readonly batch = 32,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  get length(): number {
    return this.tasks.length;
  }

  push(task: () => void): boolean {
    if (this.tasks.length >= this.capacity) return false;
    this.tasks.push(task);
    this.schedule();
    return true;
  }

  /** Resolves once every queued task ran. */
  idle(): Promise<void> {
    if (this.tasks.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    for (let i = 0; i < this.batch && this.tasks.length > 0; i++) {
      const task = this.tasks.shift() as () => void;
      try {
        task();
      } catch (error) {
        this.onError(error);
      }
    }
    if (this.tasks.length > 0) this.schedule();
    else {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
