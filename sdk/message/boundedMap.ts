/**
 * Sets `key` as the newest entry of `map` and drops the oldest beyond `maxSize`: Map keeps
 * insertion order, so this is an LRU when readers call it again on use, a FIFO otherwise.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, maxSize: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > maxSize) map.delete(map.keys().next().value as K);
}
