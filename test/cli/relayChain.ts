import type { RelayOptions } from "../../relay";
import { StreamPermission } from "../../sdk";
import { type RelayOnChain, startRelayOnChain } from "../relay/fixtures";
import { createTestStream } from "../relay/helpers";
import { buildCli, cleanEnv, type CliResult, runKeyway, startKeyway, type RunningKeyway } from "./harness";

/** A chain with a registry and a relay, and the `keyway` binary pointed at both. */
export interface CliRelayChain extends RelayOnChain {
  /** Environment for the CLI: this node, registry and relay; the key of `accounts[signer]` when given. */
  envOf(signer?: number): NodeJS.ProcessEnv;
  keyway(args: string[], options?: { signer?: number; input?: string | Uint8Array }): Promise<CliResult>;
  /** Starts a long-running command (`subscribe`); `stopAll()` ends the ones still running. */
  start(args: string[], options?: { signer?: number }): RunningKeyway;
  stopAll(): Promise<void>;
  /** A fresh stream of account #0 (with `partitions`) on which account `subscriber` holds Subscribe. */
  streamFor(subscriber: number, partitions?: number): Promise<string>;
}

/** `options`: the relay's (a `sponsorKey`...). */
export async function startCliRelayChain(options: Partial<RelayOptions> = {}): Promise<CliRelayChain> {
  buildCli();
  const chain = await startRelayOnChain(options);
  const running = new Set<RunningKeyway>();
  const envOf = (signer?: number) =>
    cleanEnv({
      KEYWAY_RPC_URL: chain.rpcUrl,
      KEYWAY_REGISTRY: chain.registryAddress,
      KEYWAY_RELAY_URL: chain.url,
      ...(signer !== undefined && { KEYWAY_PRIVATE_KEY: chain.accounts[signer].privateKey }),
    });
  return {
    ...chain,
    envOf,
    keyway: (args, { signer, input } = {}) => runKeyway(args, { env: envOf(signer), input }),
    start(args, { signer } = {}) {
      const process = startKeyway(args, { env: envOf(signer) });
      running.add(process);
      void process.exited.then(() => running.delete(process));
      return process;
    },
    async stopAll() {
      await Promise.all([...running].map((process) => (process.kill(), process.exited)));
    },
    async streamFor(subscriber, partitions) {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner, { partitions });
      await owner.grantPermissions(streamId, { userId: chain.accounts[subscriber].account.address, permissions: [StreamPermission.SUBSCRIBE] });
      return streamId;
    },
  };
}
