import { getAddress, type Account, type Chain, type Client, type Transport } from "viem";
import { signMessage } from "viem/actions";
import { createSiweMessage } from "viem/siwe";
import type { AuthRequest, HelloFrame } from "./protocol";

/** What the relay is told the signature is for. */
const STATEMENT = "Sign in to the Keyway relay.";

/**
 * Signs in to the relay at `relayUrl` with Sign-In with Ethereum (EIP-4361): the domain is
 * the host (and port) connected to, the chain and the single-use nonce are the hello's. The
 * wallet client's account signs (a local key, or a browser wallet through `personal_sign`).
 *
 * @example
 * const frame = await signInToRelay(walletClient, "ws://127.0.0.1:8546", hello);
 * socket.send(JSON.stringify({ type: "auth", id: 1, ...frame }));
 */
export async function signInToRelay(
  walletClient: Client<Transport, Chain | undefined, Account>,
  relayUrl: string,
  hello: HelloFrame,
): Promise<Omit<AuthRequest, "type">> {
  const message = createSiweMessage({
    domain: new URL(relayUrl).host,
    address: getAddress(walletClient.account.address),
    statement: STATEMENT,
    uri: relayUrl,
    version: "1",
    chainId: hello.chainId,
    nonce: hello.nonce,
    issuedAt: new Date(),
  });
  const signature = await signMessage(walletClient, { account: walletClient.account, message });
  return { message, signature };
}
