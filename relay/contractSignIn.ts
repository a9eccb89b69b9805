import { type Address, encodeDeployData, encodeFunctionData, erc6492SignatureValidatorAbi, erc6492SignatureValidatorByteCode, type Hex, hexToBool, isErc6492Signature, parseAbi } from "viem";
import { call, type CallParameters } from "viem/actions";
import type { RelayContext } from "./context";
import { ErrorCode } from "../sdk/relay/protocol";
import { RequestError } from "./requestError";

const erc1271Abi = parseAbi(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
/** isValidSignature's answer for a valid signature: its selector, ABI-encoded (bytes4, left-aligned in a word). */
const ERC1271_VALID = `0x1626ba7e${"0".repeat(56)}`;

/**
 * The eth_call that asks the chain: an ERC-6492 signature through viem's deployless validator
 * (which deploys the wallet through its factory, then asks it), anything else the address's own
 * ERC-1271 isValidSignature (an address without code answers nothing, running no code).
 */
function checkOf(address: Address, hash: Hex, signature: Hex, gas: bigint): CallParameters {
  if (isErc6492Signature(signature)) {
    return { data: encodeDeployData({ abi: erc6492SignatureValidatorAbi, bytecode: erc6492SignatureValidatorByteCode, args: [address, hash, signature] }), gas };
  }
  return { to: address, data: encodeFunctionData({ abi: erc1271Abi, functionName: "isValidSignature", args: [hash, signature] }), gas };
}

/**
 * Whether the contract wallet `address` accepts `signature` over `hash` (ERC-1271, or ERC-6492
 * for a wallet not deployed yet; ERC-8010 is not accepted), asked of the chain with at most
 * `contractSignInGas` and awaited at most `contractSignInTimeoutMs`: without a cap, a "wallet"
 * that loops costs the node its whole eth_call gas cap per sign-in. At most
 * `contractSignInConcurrency` such checks are awaited at once, relay-wide; one more is refused
 * RATE_LIMITED. A revert, out-of-gas, a node error or the timeout all mean no.
 *
 * @example
 * await isContractSignature(relay, wallet, hashMessage(siweText), signature); // true or false
 */
export async function isContractSignature(relay: RelayContext, address: Address, hash: Hex, signature: Hex): Promise<boolean> {
  const { contractSignInGas, contractSignInTimeoutMs, contractSignInConcurrency } = relay.limits;
  if (relay.inFlight.contractSignIns >= contractSignInConcurrency) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `${contractSignInConcurrency} contract wallet sign-ins are being checked already: try again shortly`);
  }
  relay.inFlight.contractSignIns += 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // No CCIP-Read: a wallet's revert must not make the relay fetch from a URL it names.
  const asked = call({ ...relay.client.context.publicClient, ccipRead: false }, checkOf(address, hash, signature, BigInt(contractSignInGas)));
  const answered = asked.then(({ data = "0x" }) => (isErc6492Signature(signature) ? hexToBool(data) : data === ERC1271_VALID)).catch(() => false);
  try {
    return await Promise.race([answered, new Promise<boolean>((resolve) => (timer = setTimeout(resolve, contractSignInTimeoutMs, false)))]);
  } finally {
    clearTimeout(timer);
    relay.inFlight.contractSignIns -= 1;
  }
}
