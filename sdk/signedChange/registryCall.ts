import type { ContractFunctionArgs } from "viem";
import type { streamRegistryAbi } from "../abi";

/** The registry writes that have a `…BySig` twin: every write but `invalidateUnorderedNonces`. */
export const SIGNABLE_FUNCTION_NAMES = [
  "createStream",
  "updateStreamMetadata",
  "deleteStream",
  "grantPermission",
  "revokePermission",
  "revokeAllPermissionsForUser",
  "grantPermissions",
  "revokePermissions",
  "setPermissions",
  "setPermissionsMultipleStreams",
] as const;

export type SignableFunctionName = (typeof SIGNABLE_FUNCTION_NAMES)[number];

/** One registry write with its arguments, as the direct function takes them: what a signed change carries. */
export type RegistryCall = {
  [F in SignableFunctionName]: { functionName: F; args: ContractFunctionArgs<typeof streamRegistryAbi, "nonpayable", F> };
}[SignableFunctionName];
