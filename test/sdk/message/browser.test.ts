import { expect } from "chai";
import { build } from "esbuild";
import path from "node:path";
import vm from "node:vm";
import { DOMAIN, PUBLISHER_KEY, sampleMessage, signSample } from "./fixtures";
import type * as MessageApi from "../../../sdk/message";

const ROOT = path.resolve(__dirname, "../../..");

/** sdk/message bundled as a browser would get it: fails on any Node built-in or addon. */
async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, "sdk/message/index.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "keywayMessage",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

describe("sdk/message in a browser bundle", () => {
  let api: typeof MessageApi;

  let code: string;

  /** The bundle run in a context with only what browsers have: no require, process or Buffer. */
  function load({ webAssembly }: { webAssembly: boolean }): typeof MessageApi {
    const context = vm.createContext({ TextEncoder, TextDecoder, crypto: globalThis.crypto, console });
    // A page whose content security policy forbids WebAssembly compiles nothing.
    if (!webAssembly) vm.runInContext("delete globalThis.WebAssembly;", context);
    vm.runInContext(`${code};globalThis.keywayMessage = keywayMessage;`, context);
    return context.keywayMessage as typeof MessageApi;
  }

  before(async () => {
    code = await browserBundle();
    expect(code).to.not.match(/secp256k1\/bindings|node-gyp-build|require\(["']node:/);
    api = load({ webAssembly: true });
  });

  it("runs the curve on @noble and Keccak in WebAssembly, and says so", () => {
    expect(api.getCryptoBackend()).to.deep.equal({ curve: "noble", keccak: "wasm" });
  });

  it("falls back to @noble's Keccak without WebAssembly, with the same signatures", async () => {
    const plain = load({ webAssembly: false });
    expect(plain.getCryptoBackend()).to.deep.equal({ curve: "noble", keccak: "noble" });
    const signed = await plain.signStreamMessage(sampleMessage(), { signer: PUBLISHER_KEY, domain: DOMAIN });
    expect(signed.signature).to.equal((await signSample()).signature);
    expect(plain.verifyStreamMessage(signed, DOMAIN)).to.equal(true);
  });

  it("signs the same signature as Node's native path and verifies it", async () => {
    const signed = await api.signStreamMessage(sampleMessage(), { signer: PUBLISHER_KEY, domain: DOMAIN });
    expect(signed.signature).to.equal((await signSample()).signature);
    expect(api.verifyStreamMessage(signed, DOMAIN)).to.equal(true);
    expect(api.verifyStreamMessage({ ...signed, timestamp: signed.timestamp + 1 }, DOMAIN)).to.equal(false);
  });

  it("publishes a chain with a random msgChainId from the browser's crypto", async () => {
    const publisher = api.createPublisher({ streamId: sampleMessage().streamId, signer: PUBLISHER_KEY, domain: DOMAIN });
    const message = await publisher.publish(new Uint8Array([1, 2, 3]));
    expect(message.content).to.equal("0x010203");
    expect(message.msgChainId).to.match(/^[0-9a-f]{20}$/);
  });
});
