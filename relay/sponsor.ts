/**
 * Sponsored changes (`keyway relay --sponsor-key`): the relay submits signed registry changes
 * (`…BySig`) from its own funded key, so that an account without ETH can change permissions.
 * Bounded per signer, in all, by a gas budget and by how many wait to be sent.
 */
import type { Hash, Hex } from "viem";
import { submitSignedChange } from "../sdk/actions/submitSignedChange";
import { KeywayClient } from "../sdk/client";
import type { ConnectionOptions } from "../sdk/context";
import { KeywayError } from "../sdk/errors";
import type { SignedChange } from "../sdk/signedChange/signedChange";
import { ErrorCode } from "../sdk/relay/protocol";
import type { RelayLimits } from "./options";
import { RequestError } from "./requestError";
import { createTokenBucket, takeToken, type TokenBucket } from "./tokenBucket";

/** Signers whose sponsor allowance is remembered; beyond it the least recently seen is forgotten (and starts full again). */
const MAX_REMEMBERED_SIGNERS = 10_000;
const HOUR_MS = 3_600_000;

export interface Sponsor {
  client: KeywayClient;
  /** Per signer: `sponsorRatePerSigner` changes a minute. */
  signers: Map<string, TokenBucket>;
  all: TokenBucket;
  /** Gas of the sponsored transactions mined in the current hour, and when that hour began. */
  gasSpent: number;
  windowStart: number;
  /** Changes accepted and not yet sent; the key sends one at a time (its nonces in order). */
  waiting: number;
  tail: Promise<unknown>;
}

/** The relay's sponsor, signing with `key` over the relay client's node, on its registry. */
export function createSponsor(relayClient: KeywayClient, key: Hex, limits: RelayLimits): Sponsor {
  const { publicClient, registryAddress } = relayClient.context;
  const client = new KeywayClient({ publicClient: publicClient as ConnectionOptions["publicClient"], registryAddress, privateKey: key, cache: false });
  return { client, signers: new Map(), all: createTokenBucket(limits.sponsorRate), gasSpent: 0, windowStart: Date.now(), waiting: 0, tail: Promise.resolve() };
}

/**
 * Takes the allowances a change needs, or throws RATE_LIMITED naming the one exhausted: the
 * signer's (a minute's worth), everyone's (a second's worth), the hour's gas budget, the queue.
 * Nothing is taken when one of them refuses.
 */
function admit(sponsor: Sponsor, signer: string, limits: RelayLimits): void {
  const now = Date.now();
  if (now - sponsor.windowStart >= HOUR_MS) [sponsor.gasSpent, sponsor.windowStart] = [0, now];
  if (sponsor.gasSpent >= limits.sponsorGasBudget) throw new RequestError(ErrorCode.RATE_LIMITED, `the relay's sponsor gas budget of ${limits.sponsorGasBudget} an hour is spent: try later or send it yourself`);
  if (sponsor.waiting >= limits.sponsorQueue) throw new RequestError(ErrorCode.RATE_LIMITED, `${limits.sponsorQueue} sponsored changes are waiting to be sent already`);
  const key = signer.toLowerCase();
  const bucket = sponsor.signers.get(key) ?? createTokenBucket(limits.sponsorRatePerSigner);
  // Least recently seen first: re-inserting moves it to the end.
  sponsor.signers.delete(key);
  sponsor.signers.set(key, bucket);
  if (sponsor.signers.size > MAX_REMEMBERED_SIGNERS) sponsor.signers.delete(sponsor.signers.keys().next().value!);
  if (!takeToken(bucket, limits.sponsorRatePerSigner / 60, limits.sponsorRatePerSigner)) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `${signer} may have ${limits.sponsorRatePerSigner} changes sponsored a minute`);
  }
  if (!takeToken(sponsor.all, limits.sponsorRate, limits.sponsorRate)) {
    bucket.tokens += 1; // not charged: the change was not taken
    throw new RequestError(ErrorCode.RATE_LIMITED, `the relay sponsors ${limits.sponsorRate} changes a second in all`);
  }
}

/**
 * Simulates `change` (a refusal is CHANGE_REFUSED with the SDK's code as `reason`, and nothing
 * is sent), sends it from the sponsor's key and resolves with the transaction hash; the gas it
 * used counts against the budget once mined.
 */
export function sponsorChange(sponsor: Sponsor, change: SignedChange, limits: RelayLimits): Promise<Hash> {
  admit(sponsor, change.signer, limits);
  sponsor.waiting += 1;
  return new Promise<Hash>((resolve, reject) => {
    const sent = sponsor.tail.then(() =>
      submitSignedChange(sponsor.client.context, { signedChange: change, onSent: (hash) => resolve(hash) }).then(
        (receipt) => {
          sponsor.gasSpent += Number(receipt.gasUsed);
        },
        (error: unknown) => reject(refusal(error)),
      ),
    );
    sponsor.tail = sent.finally(() => {
      sponsor.waiting -= 1;
    });
  });
}

function refusal(error: unknown): unknown {
  if (!(error instanceof KeywayError) || error.code === "RPC_ERROR") return error;
  return new RequestError(ErrorCode.CHANGE_REFUSED, error.message.split("\n")[0], error.code);
}
