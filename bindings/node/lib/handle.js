// Ownership of the library's opaque handles.
//
// Each JS object that owns a handle keeps it in a Cell: the raw pointer (a
// BigInt), the tc_X_free that releases it and a count of the calls using it
// right now. A cell is freed exactly once and never while in use:
//
// - close() marks it closed at once (later calls throw), and the free
//   happens as soon as no call uses the handle any more: at once when idle,
//   after the last in-flight Promise settles, or when a synchronous call
//   that is delivering events to a subscriber (which may call close()) has
//   returned;
// - a parent (a store) is freed only after its dependants (its tutors);
// - a FinalizationRegistry frees the handle of an object that is garbage
//   collected without close() (the same rules apply).

import { InvalidArgumentError } from './errors.js';

export class Cell {
  constructor(ptr, free, kind) {
    this.ptr = ptr;
    this.free = free;
    this.kind = kind;
    this.busy = 0;
    this.closed = false;
    this.freed = false;
    this.parent = null;
    this.dependents = new Set();
    this.afterFree = [];
    this.whenIdle = [];
  }

  /** Links this cell under `parent`: the parent is freed after it. */
  attach(parent) {
    this.parent = parent;
    parent.dependents.add(this);
  }

  /** Marks the cell (and its dependants) closed and frees what can be. */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const d of [...this.dependents]) d.close();
    this.tryFree();
  }

  /** Counts a call using this handle (and its ancestors). */
  pin() {
    for (let c = this; c; c = c.parent) c.busy++;
  }

  unpin() {
    for (let c = this; c; c = c.parent) {
      c.busy--;
      if (c.busy === 0) c.idle();
    }
  }

  idle() {
    if (this.whenIdle.length) {
      const fns = this.whenIdle.splice(0);
      for (const fn of fns) fn();
    }
    if (this.closed) this.tryFree();
  }

  tryFree() {
    if (!this.closed || this.freed || this.busy > 0) return;
    for (const d of this.dependents) if (!d.freed) return;
    this.freed = true;
    const ptr = this.ptr;
    this.ptr = null;
    if (ptr !== null && ptr !== undefined) this.free(ptr);
    const after = this.afterFree.splice(0);
    for (const fn of after) fn();
    const parent = this.parent;
    if (parent) {
      parent.dependents.delete(this);
      parent.tryFree();
    }
  }
}

const registry = new FinalizationRegistry((cell) => cell.close());

/**
 * Base class of the objects that own a library handle (Store, Domain, Tutor,
 * BktModel). close() is idempotent; using a closed object throws
 * InvalidArgumentError ("this Store is closed").
 */
export class Handle {
  #cell = null;

  /** @internal */
  _own(ptr, free) {
    this.#cell = new Cell(ptr, free, this.constructor.name);
    registry.register(this, this.#cell, this.#cell);
    return this.#cell;
  }

  /** @internal The cell (null before the handle was opened). */
  get _cell() {
    return this.#cell;
  }

  /** Whether the handle has been closed. */
  get closed() {
    const cell = this.#cell;
    return cell === null || cell.closed;
  }

  /** @internal The raw handle; throws once closed. */
  _ptr() {
    const cell = this.#cell;
    if (cell === null || cell.closed) {
      throw new InvalidArgumentError(`this ${this.constructor.name} is closed`);
    }
    return cell.ptr;
  }

  /** @internal Runs fn(ptr) with the handle pinned (a synchronous call). */
  _use(fn) {
    const ptr = this._ptr();
    const cell = this.#cell;
    cell.pin();
    try {
      return fn(ptr);
    } finally {
      cell.unpin();
    }
  }

  /** @internal Runs the Promise of fn(ptr) with the handle pinned until it settles. */
  async _useAsync(fn) {
    const ptr = this._ptr();
    const cell = this.#cell;
    cell.pin();
    try {
      return await fn(ptr);
    } finally {
      cell.unpin();
    }
  }

  /**
   * Releases the handle (tc_X_free). Safe to call more than once, from a
   * subscriber callback, or while a Promise-returning call on the handle is
   * in flight (the free waits for it).
   */
  close() {
    const cell = this.#cell;
    if (cell === null || cell.closed) return;
    registry.unregister(cell);
    cell.close();
  }

  /** `using` support (explicit resource management). */
  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.close();
  }

  /** @internal */
  get _state() {
    return this.closed ? 'closed' : 'open';
  }

  /** @internal What util.inspect shows besides the state. */
  _describe() {
    return {};
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    const fields = { ...this._describe(), closed: this.closed };
    return `${this.constructor.name} ${inspect(fields, options)}`;
  }
}
