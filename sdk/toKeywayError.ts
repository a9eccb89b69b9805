import { BaseError, ContractFunctionRevertedError } from "viem";
import {
  ContractError,
  InvalidArgumentError,
  InvalidPermissionError,
  InvalidStreamIdError,
  KeywayError,
  RpcError,
  StreamAlreadyExistsError,
  StreamNotFoundError,
  UnauthorizedError,
} from "./errors";
import { STREAM_PERMISSIONS } from "./permissions";

/**
 * Turns anything thrown underneath (a viem error, a decoded registry revert, an ethers or
 * transport failure) into a `KeywayError` that keeps the original as `cause`.
 */
export function toKeywayError(error: unknown): KeywayError {
  if (error instanceof KeywayError) return error;
  const revert =
    error instanceof BaseError
      ? (error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null)
      : null;
  if (revert !== null) return fromRevert(revert, error);
  const message = error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return new RpcError(message, { cause: error });
}

function fromRevert(revert: ContractFunctionRevertedError, cause: unknown): KeywayError {
  const options = { cause };
  const args = (revert.data?.args ?? []) as readonly unknown[];
  switch (revert.data?.errorName) {
    case "StreamNotFound":
      return new StreamNotFoundError(String(args[0]), options);
    case "StreamAlreadyExists":
      return new StreamAlreadyExistsError(String(args[0]), options);
    case "InvalidStreamPath":
      return new InvalidStreamIdError(String(args[0]), "rejected by the registry", options);
    case "Unauthorized":
      return new UnauthorizedError(
        String(args[0]),
        String(args[1]).toLowerCase(),
        STREAM_PERMISSIONS[Number(args[2])],
        options,
      );
    case "PublicPermissionNotAllowed":
      return new InvalidPermissionError(STREAM_PERMISSIONS[Number(args[0])], "the public may only hold publish and subscribe", options);
    case "ExpiryInPast":
      return new InvalidArgumentError(`Expiry ${Number(args[0])} is not in the future on chain`, options);
    default:
      return new ContractError(`The registry reverted: ${revert.shortMessage}`, options);
  }
}
