// Numeric fields of message content as bounded time series: what the Live chart plots. Pure (no
// DOM), so mocha tests it in Node. Content comes from any publisher, so every bound is fixed here.

/** A number found in a message's content: `temperature`, or `wind.speed` one level down. */
export interface NumericField {
  name: string;
  value: number;
}

/** One field's points, oldest first: `times[i]` (ms since the epoch) with `values[i]`. */
export interface Series {
  times: number[];
  values: number[];
}

/** The series of a live view, by field name, in the order the fields were first seen. */
export type SeriesByField = Map<string, Series>;

/** The points kept per field: one minute at 10 msg/s, six seconds at 100 msg/s. */
export const MAX_POINTS = 600;
/** The fields plotted: the first ones seen; more would only be more charts than anyone reads. */
export const MAX_FIELDS = 6;
/** The fields read from one message, so a message with thousands of keys costs no more than a small one. */
const MAX_KEYS_READ = 64;

/**
 * The finite numbers at the top level of `content` and one level down (`wind.speed`), in key
 * order; nothing for content that is not a JSON object (text, bytes, an array, a number alone).
 *
 * @param content - a delivered message's content
 * @returns its numeric fields, at most 64 keys read per level
 * @example
 * numericFields({ temperature: 21.5, unit: "C", wind: { speed: 3 } }) // [{ name: "temperature", value: 21.5 }, { name: "wind.speed", value: 3 }]
 */
export function numericFields(content: unknown): NumericField[] {
  const fields: NumericField[] = [];
  for (const [key, value] of entriesOf(content)) {
    if (isFiniteNumber(value)) fields.push({ name: key, value });
    else for (const [inner, nested] of entriesOf(value)) if (isFiniteNumber(nested)) fields.push({ name: `${key}.${inner}`, value: nested });
  }
  return fields;
}

/**
 * Adds a message's numeric fields to `series` at `time`: a field not seen before gets a series
 * while fewer than MAX_FIELDS exist; each series keeps its last MAX_POINTS points, in time order
 * (a message older than the newest point, from another publisher's clock, is put in its place).
 *
 * @param series - the live view's series, changed in place
 * @param time - the message's timestamp (ms)
 * @param fields - what `numericFields` found in its content
 * @returns whether a new field was added (the charts to show changed)
 * @example
 * const series: SeriesByField = new Map();
 * addPoints(series, metadata.timestamp, numericFields(content)); // true the first time a field is seen
 */
export function addPoints(series: SeriesByField, time: number, fields: NumericField[]): boolean {
  let added = false;
  for (const { name, value } of fields) {
    let points = series.get(name);
    if (points === undefined) {
      if (series.size >= MAX_FIELDS) continue;
      series.set(name, (points = { times: [], values: [] }));
      added = true;
    }
    insertPoint(points, time, value);
  }
  return added;
}

function insertPoint({ times, values }: Series, time: number, value: number): void {
  let at = times.length;
  while (at > 0 && times[at - 1] > time) at--;
  times.splice(at, 0, time);
  values.splice(at, 0, value);
  if (times.length > MAX_POINTS) {
    times.splice(0, times.length - MAX_POINTS);
    values.splice(0, values.length - MAX_POINTS);
  }
}

function entriesOf(value: unknown): [string, unknown][] {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) return [];
  const entries: [string, unknown][] = [];
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (entries.length === MAX_KEYS_READ) break;
    entries.push([key, (value as Record<string, unknown>)[key]]);
  }
  return entries;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
