import { BaseError, ContractFunctionExecutionError, ContractFunctionRevertedError, ContractFunctionZeroDataError, decodeErrorResult } from "viem";
import { streamRegistryAbi } from "./abi";
import {
  ContractError,
  errorChain,
  InvalidArgumentError,
  InvalidPermissionError,
  InvalidSignatureError,
  InvalidStreamIdError,
  KeywayError,
  NonceUsedError,
  RegistryNotFoundError,
  RpcError,
  SignatureExpiredError,
  StreamAlreadyExistsError,
  StreamNotFoundError,
  UnauthorizedError,
} from "./errors";
import { STREAM_PERMISSIONS } from "./permissions";
import { revertDataOf } from "./revertData";

/**
 * Turns anything thrown underneath (a viem error, a registry revert, an ethers or transport
 * failure) into a `KeywayError` that keeps the original as `cause`. A registry custom error
 * becomes its typed counterpart.
 */
export function toKeywayError(error: unknown): KeywayError {
  if (error instanceof KeywayError) return error;
  const revert = registryRevert(error);
  if (revert !== undefined) return fromRevert(revert.errorName, revert.args, error);
  // A view that answers no data at all was called on an address without code.
  if (error instanceof ContractFunctionExecutionError && error.cause instanceof ContractFunctionZeroDataError) {
    return new RegistryNotFoundError(error.contractAddress ?? "the registry address", { cause: error });
  }
  const message = error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return new RpcError(message, { cause: error });
}

/**
 * The registry's custom error inside `error`: viem's decoded one, or else the revert data of
 * whatever error the provider raised (EIP-1193 providers such as Hardhat's in-process one or
 * ethers do not always give the JSON-RPC code viem looks for).
 */
function registryRevert(error: unknown): { errorName: string; args: readonly unknown[] } | undefined {
  for (const e of errorChain(error)) {
    if (e instanceof ContractFunctionRevertedError && e.data !== undefined) return { errorName: e.data.errorName, args: e.data.args ?? [] };
    const data = revertDataOf(e);
    if (data !== undefined && data.length >= 10) {
      try {
        const decoded = decodeErrorResult({ abi: streamRegistryAbi, data });
        return { errorName: decoded.errorName, args: decoded.args ?? [] };
      } catch {
        // Not one of the registry's errors: keep looking, then report it as it is.
      }
    }
    if (e instanceof ContractFunctionRevertedError) return { errorName: "", args: [] };
  }
  return undefined;
}

function fromRevert(errorName: string, args: readonly unknown[], cause: unknown): KeywayError {
  const options = { cause };
  switch (errorName) {
    case "StreamNotFound":
      return new StreamNotFoundError(String(args[0]), options);
    case "StreamAlreadyExists":
      return new StreamAlreadyExistsError(String(args[0]), options);
    case "InvalidStreamPath":
      return new InvalidStreamIdError(String(args[0]), "rejected by the registry", options);
    case "Unauthorized":
      return new UnauthorizedError(String(args[0]), String(args[1]).toLowerCase(), STREAM_PERMISSIONS[Number(args[2])], options);
    case "PublicPermissionNotAllowed":
      return new InvalidPermissionError(STREAM_PERMISSIONS[Number(args[0])], "the public may only hold publish and subscribe", options);
    case "ExpiryInPast":
      return new InvalidArgumentError(`Expiry ${Number(args[0])} is not in the future on chain`, options);
    case "SignatureExpired":
      return new SignatureExpiredError(BigInt(args[0] as bigint), options);
    // Used or cancelled: the bitmap does not say which; submitSignedChange asks the logs.
    case "NonceAlreadyUsed":
      return new NonceUsedError(String(args[0]), BigInt(args[1] as bigint), options);
    case "InvalidSignature":
      return new InvalidSignatureError(String(args[0]), undefined, options);
    default:
      return new ContractError(`The registry reverted${errorName ? ` with ${errorName}` : ""}`, options);
  }
}
