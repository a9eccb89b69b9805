import { expect } from "chai";
import { build } from "esbuild";
import { builtinModules } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

describe("browser bundle of sdk/index.ts", () => {
  it("bundles for the browser without any Node built-in", async () => {
    const imported = new Set<string>();
    const result = await build({
      entryPoints: [path.resolve(__dirname, "../../sdk/index.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      logLevel: "silent",
      plugins: [
        {
          name: "record-node-builtins",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (NODE_BUILTINS.has(args.path)) imported.add(`${args.path} (from ${path.relative(process.cwd(), args.importer)})`);
              return undefined;
            });
          },
        },
      ],
    });
    expect([...imported], "Node built-ins imported").to.deep.equal([]);
    const { contents } = result.outputFiles[0];
    const bytes = contents.byteLength;
    console.log(`      minified browser bundle: ${(bytes / 1024).toFixed(1)} KiB (${(gzipSync(contents).byteLength / 1024).toFixed(1)} KiB gzipped)`);
    expect(bytes).to.be.greaterThan(0);
  });
});
