// The order of a chat's messages, kept as data: the relay's ids, ascending. Messages can arrive
// out of order (a replay after a reconnect next to live ones); the view asks this model where a
// message goes instead of reading ids back from the DOM.

export class MessageOrder {
  constructor() {
    this._ids = []; // ascending, no duplicates
  }

  /** The ids in order. */
  get ids() {
    return [...this._ids];
  }

  has(id) {
    const index = this._search(id);
    return this._ids[index] === id;
  }

  /**
   * Add an id.
   * @param {number} id
   * @returns {number|null} the id the new message goes before, or null when it is the newest
   * @throws {RangeError} when the id is not an integer or is already in the order
   */
  add(id) {
    if (!Number.isInteger(id)) {
      throw new RangeError(`message id ${id} is not an integer`);
    }
    const index = this._search(id);
    if (this._ids[index] === id) {
      throw new RangeError(`message ${id} is already in the chat`);
    }
    this._ids.splice(index, 0, id);
    return index + 1 < this._ids.length ? this._ids[index + 1] : null;
  }

  /** The index of the first id not below `id` (binary search). */
  _search(id) {
    let low = 0;
    let high = this._ids.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this._ids[middle] < id) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
}
