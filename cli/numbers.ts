/**
 * A whole number written in decimal digits only, from `min` to `max`; undefined for anything
 * else. `Number()` alone would take "" as 0, and " 80", "0x50", "8e1" or "80.0" as 80.
 */
export function wholeNumberIn(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}
