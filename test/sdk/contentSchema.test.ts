import { expect } from "chai";
import { compileContentSchema, InvalidArgumentError, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, metadataWithSchema, schemaOf } from "../../sdk";

const READING = { type: "object", required: ["t"], properties: { t: { type: "number", minimum: -50 }, unit: { enum: ["C", "F"] } }, additionalProperties: false };

/** A schema nested `depth` levels deep (each level an object with `properties.a`). */
function nested(depth: number): object {
  let schema: object = { type: "number" };
  for (let level = 0; level < depth; level++) schema = { type: "object", properties: { a: schema } };
  return schema;
}

describe("content schemas (JSON Schema 2020-12, Ajv)", function () {
  it("accepts content that matches and names the first violation of content that does not", async function () {
    const check = await compileContentSchema(READING);
    expect(check({ t: 21.5, unit: "C" })).to.equal(undefined);
    expect(check({ t: "hot" })).to.equal("/t must be number");
    expect(check({ t: -60 })).to.equal("/t must be >= -50");
    expect(check({})).to.equal("/ must have required property 't'");
    expect(check({ t: 1, extra: true })).to.equal("/ must NOT have additional properties");
    expect(check([1])).to.equal("/ must be object");
    // 2020-12 keywords: prefixItems, unevaluatedProperties, $defs.
    const tuple = await compileContentSchema({ $schema: "https://json-schema.org/draft/2020-12/schema", prefixItems: [{ type: "string" }, { type: "number" }], items: false, $defs: { n: { type: "number" } } });
    expect(tuple(["a", 1])).to.equal(undefined);
    expect(tuple(["a", 1, 2])).to.match(/^\/ must NOT have more than 2 items$/);
    expect((await compileContentSchema(true))(42)).to.equal(undefined);
    expect((await compileContentSchema(false))(42)).to.be.a("string");
  });

  it("refuses schemas that are not schemas, have unknown keywords, or reach outside", async function () {
    for (const schema of [null, 5, "string", [1], { type: "nonsense" }, { tpye: "number" }, { $ref: "https://example.com/schema.json" }, { minimum: "5" }]) {
      await expect(compileContentSchema(schema), JSON.stringify(schema)).to.be.rejectedWith(InvalidArgumentError);
    }
  });

  describe("hostile schemas are bounded", function () {
    it(`refuses a schema over ${MAX_SCHEMA_BYTES} bytes or nested deeper than ${MAX_SCHEMA_DEPTH} levels, before Ajv sees it`, async function () {
      await expect(compileContentSchema({ enum: Array.from({ length: 3_000 }, (_, n) => `value-${n}`) })).to.be.rejectedWith(InvalidArgumentError, /bytes of JSON/);
      await expect(compileContentSchema(nested(MAX_SCHEMA_DEPTH))).to.be.rejectedWith(InvalidArgumentError, /nests deeper/);
      expect(await compileContentSchema(nested(MAX_SCHEMA_DEPTH / 2 - 1))).to.be.a("function");
      // Thousands of levels would overflow a recursive compiler's stack: refused by the depth bound first.
      await expect(compileContentSchema(nested(5_000))).to.be.rejectedWith(InvalidArgumentError, /nests deeper/);
    });

    it("runs patterns on a linear-time engine: a catastrophic pattern on hostile content answers (a backtracking engine would not, for ages)", async function () {
      const check = await compileContentSchema({ type: "string", pattern: "^(a+)+$" });
      expect(check("a".repeat(40_000) + "!")).to.equal('/ must match pattern "^(a+)+$"');
      expect(check("aaaa")).to.equal(undefined);
      const keyed = await compileContentSchema({ type: "object", patternProperties: { "^(x|x)*y$": { type: "number" } } });
      expect(keyed({ ["x".repeat(30_000)]: 1, xy: "no" })).to.equal("/xy must be number");
    });

    it("refuses patterns a linear-time engine cannot run (backreferences, lookahead), too large to compile, and invalid ones", async function () {
      for (const pattern of ["(a)\\1", "a(?=b)", "(", "a{1001}", "((a{100}){100}){100}"]) {
        await expect(compileContentSchema({ type: "string", pattern }), pattern).to.be.rejectedWith(InvalidArgumentError, /does not compile/);
      }
    });
  });

  it("a huge pattern within the size bound compiles, and answers on hostile content", async function () {
    const alternatives = Array.from({ length: 700 }, (_, n) => `w${n}`).join("|"); // ~4.5 KB of pattern
    const check = await compileContentSchema({ type: "string", pattern: `^(${alternatives})+$` });
    expect(check("w1w2w699")).to.equal(undefined);
    expect(check("w1".repeat(20_000) + "!")).to.match(/must match pattern/);
  });

  it("metadataWithSchema merges the schema into the metadata, checked; schemaOf reads it back", async function () {
    const metadata = await metadataWithSchema('{"partitions":2}', READING);
    expect(JSON.parse(metadata)).to.deep.equal({ partitions: 2, schema: READING });
    expect(schemaOf(metadata)).to.deep.equal(READING);
    expect(schemaOf("{}")).to.equal(undefined);
    expect(schemaOf("not json")).to.equal(undefined);
    expect(await metadataWithSchema("", { type: "number" })).to.equal('{"schema":{"type":"number"}}');
    await expect(metadataWithSchema("[1]", { type: "number" })).to.be.rejectedWith(InvalidArgumentError, /JSON object/);
    await expect(metadataWithSchema('{"schema":{"type":"nonsense"}}')).to.be.rejectedWith(InvalidArgumentError);
    await expect(metadataWithSchema("{}", nested(100))).to.be.rejectedWith(InvalidArgumentError);
  });
});
