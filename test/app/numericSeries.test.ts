import { expect } from "chai";
import { addPoints, MAX_FIELDS, MAX_POINTS, numericFields, type SeriesByField } from "../../app/src/numericSeries";

describe("the Live chart's numeric series (app/src/numericSeries.ts)", function () {
  describe("numericFields", function () {
    it("finds the top-level numbers and those one level down, in key order", function () {
      expect(numericFields({ temperature: 21.5, unit: "C", wind: { speed: 3, direction: "N" }, humidity: 40 })).to.deep.equal([
        { name: "temperature", value: 21.5 },
        { name: "wind.speed", value: 3 },
        { name: "humidity", value: 40 },
      ]);
    });

    it("finds nothing in content that is not an object of numbers", function () {
      for (const content of ["21.5", 21.5, null, undefined, true, [1, 2, 3], new Uint8Array([1, 2]), { label: "a", flag: true, list: [1, 2] }, {}]) {
        expect(numericFields(content), JSON.stringify(content)).to.deep.equal([]);
      }
    });

    it("reads no deeper than one level and skips non-finite numbers", function () {
      expect(numericFields({ a: { b: { c: 1 } }, d: Number.NaN, e: Number.POSITIVE_INFINITY, f: { g: Number.NaN, h: -2 } })).to.deep.equal([{ name: "f.h", value: -2 }]);
    });

    it("reads at most 64 keys of a level, however many a hostile message carries", function () {
      const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
      const fields = numericFields({ ...wide, nested: wide });
      expect(fields).to.have.length(64);
      expect(fields.at(-1)).to.deep.equal({ name: "k63", value: 63 });
      expect(numericFields({ nested: wide })).to.have.length(64);
    });

    it("ignores inherited keys", function () {
      expect(numericFields(Object.create({ inherited: 1 }))).to.deep.equal([]);
    });
  });

  describe("addPoints", function () {
    it("starts a series per field and says when a field is new", function () {
      const series: SeriesByField = new Map();
      expect(addPoints(series, 1_000, numericFields({ temperature: 20 }))).to.equal(true);
      expect(addPoints(series, 2_000, numericFields({ temperature: 21 }))).to.equal(false);
      expect(addPoints(series, 3_000, numericFields({ label: "no numbers" }))).to.equal(false);
      expect(addPoints(series, 4_000, numericFields({ temperature: 22, humidity: 40 }))).to.equal(true);
      expect([...series.keys()]).to.deep.equal(["temperature", "humidity"]);
      expect(series.get("temperature")).to.deep.equal({ times: [1_000, 2_000, 4_000], values: [20, 21, 22] });
      expect(series.get("humidity")).to.deep.equal({ times: [4_000], values: [40] });
    });

    it("keeps points in time order when a message is older than the newest point", function () {
      const series: SeriesByField = new Map();
      for (const [time, value] of [[1_000, 1], [3_000, 3], [2_000, 2], [3_000, 4], [500, 0]]) addPoints(series, time, [{ name: "t", value }]);
      expect(series.get("t")).to.deep.equal({ times: [500, 1_000, 2_000, 3_000, 3_000], values: [0, 1, 2, 3, 4] });
    });

    it(`keeps the last ${MAX_POINTS} points of a field`, function () {
      const series: SeriesByField = new Map();
      for (let i = 0; i < MAX_POINTS + 250; i++) addPoints(series, i, [{ name: "t", value: i }]);
      const { times, values } = series.get("t")!;
      expect(times).to.have.length(MAX_POINTS);
      expect(values[0]).to.equal(250);
      expect(values.at(-1)).to.equal(MAX_POINTS + 249);
    });

    it(`plots the first ${MAX_FIELDS} fields seen and no more`, function () {
      const series: SeriesByField = new Map();
      const content = Object.fromEntries(Array.from({ length: MAX_FIELDS + 3 }, (_, i) => [`f${i}`, i]));
      expect(addPoints(series, 1, numericFields(content))).to.equal(true);
      expect(addPoints(series, 2, numericFields({ late: 1 }))).to.equal(false);
      expect([...series.keys()]).to.deep.equal(Array.from({ length: MAX_FIELDS }, (_, i) => `f${i}`));
    });
  });
});
