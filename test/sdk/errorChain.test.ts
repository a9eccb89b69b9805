import { expect } from "chai";
import { encodeErrorResult } from "viem";
import { describeError as describeAppError } from "../../app/src/errors";
import { describeError } from "../../cli/errors";
import { ExitCode } from "../../cli/exitCodes";
import { streamRegistryAbi } from "../../sdk/abi";
import { errorChain, RpcError, StreamNotFoundError } from "../../sdk/errors";
import { toKeywayError } from "../../sdk/toKeywayError";

/** `inner` wrapped in `depth` plain errors, each the cause of the next. */
function buried(inner: unknown, depth: number): Error {
  let error = new Error("outermost", { cause: inner });
  for (let i = 1; i < depth; i++) error = new Error(`wrapper ${i}`, { cause: error });
  return error;
}

describe("errorChain: one walk over causes for the SDK, the CLI and the dApp", () => {
  it("lists an error and its causes, outermost first, ending at a value that is not an object", () => {
    const root = new Error("root", { cause: "a string cause" });
    const top = new Error("top", { cause: root });
    expect(errorChain(top)).to.deep.equal([top, root, "a string cause"]);
    expect(errorChain("just a string")).to.deep.equal(["just a string"]);
    expect(errorChain(undefined)).to.deep.equal([]);
  });

  it("stops at a cycle and after 16 links", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorChain(a)).to.deep.equal([a, b]);
    expect(errorChain(buried(new Error("deep"), 40))).to.have.length(16);
  });

  it("the SDK and the CLI find what lies 12 links deep (the CLI used to stop at 10), and neither hangs on a cycle", () => {
    const revert = { code: -32603, message: "reverted", data: encodeErrorResult({ abi: streamRegistryAbi, errorName: "StreamNotFound", args: ["0xabc/x"] }) };
    expect(toKeywayError(buried(revert, 11))).to.be.instanceOf(StreamNotFoundError).and.include({ streamId: "0xabc/x" });
    const refused = Object.assign(new TypeError("fetch failed"), { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
    expect(describeError(buried(refused, 11), "http://127.0.0.1:1").exitCode).to.equal(ExitCode.NODE_UNREACHABLE);

    const a = new Error("a");
    (a as { cause?: unknown }).cause = new Error("b", { cause: a });
    expect(toKeywayError(a)).to.be.instanceOf(RpcError);
    expect(describeError(a, "http://127.0.0.1:1")).to.deep.equal({ exitCode: ExitCode.FAILURE, message: "a" });
  });

  it("the dApp finds a wallet's refusal 12 links deep, and does not hang on a cycle", () => {
    const refusal = Object.assign(new Error("User rejected the request."), { code: 4001 });
    expect(describeAppError(buried(refusal, 11))).to.equal("You rejected the request in your wallet; nothing was sent.");
    const a = new Error("a");
    (a as { cause?: unknown }).cause = new Error("b", { cause: a });
    expect(describeAppError(a)).to.equal("A.");
  });
});
