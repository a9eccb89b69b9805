import { expect } from "chai";
import hre from "hardhat";
import { type Address, createPublicClient, createWalletClient, type Hex, http, numberToHex, serializeErc6492Signature } from "viem";
import { hardhat } from "viem/chains";
import { createRelay, type Relay, type RelayOptions } from "../../relay";
import { DEFAULT_LIMITS } from "../../relay/options";
import { closeAllClients, connect, type RelayOnChain, type SiweSigner, startRelayOnChain } from "./fixtures";
import { gatedPublicClient, until } from "./helpers";

/** What the relay's sign-ins may cost: chain checks gas-capped and few at once, failures rate-limited. */
describe("relay: sign-in bounds", function () {
  let chain: RelayOnChain;
  const relays: Relay[] = [];

  before(async function () {
    chain = await startRelayOnChain();
  });
  afterEach(async function () {
    await closeAllClients();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  after(async function () {
    await chain?.stop();
  });

  /** A relay on the chain whose node requests are recorded. */
  async function recordedRelay(options: Partial<RelayOptions> = {}) {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, publicClient: node.publicClient, port: 0, pollingInterval: 200, ...options });
    relays.push(relay);
    const calls = () => node.requests.filter((request) => request.method === "eth_call") as { params: [{ gas?: Hex }] }[];
    return { relay, calls };
  }

  async function deploy(name: string, args: unknown[] = []): Promise<Address> {
    const { abi, bytecode } = await hre.artifacts.readArtifact(name);
    const deployer = createWalletClient({ account: chain.accounts[2].account, chain: hardhat, transport: http(chain.rpcUrl) });
    const hash = await deployer.deployContract({ abi, bytecode: bytecode as Hex, args });
    const { contractAddress } = await createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) }).waitForTransactionReceipt({ hash });
    return contractAddress!;
  }

  /** Signs as `address` with another account's key (`transform` rewrites the signature). */
  const signingAs = (address: Address, index: number, transform = (signature: Hex) => signature): SiweSigner => ({
    account: { address, signMessage: async (parameters) => transform(await chain.accounts[index].account.signMessage(parameters)) },
  });

  it("checks an ERC-6492 signature whose factory loops forever with a capped gas, and refuses it", async function () {
    const loop = await deploy("InfiniteLoopMock");
    const { relay, calls } = await recordedRelay({ contractSignInGas: 400_000 });
    const client = await connect(relay.url);
    const undeployed = "0x000000000000000000000000000000000000dEaD" as Address;
    const wrapped = signingAs(undeployed, 3, (signature) => serializeErc6492Signature({ address: loop, data: "0x01", signature }));
    const reply = await client.signIn(wrapped);
    expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(calls(), "one chain check").to.have.length(1);
    expect(calls()[0].params[0].gas).to.equal(numberToHex(400_000));
  });

  it("signs in a real ERC-1271 wallet with its check's gas capped", async function () {
    const owner = chain.accounts[2].account;
    const wallet = await deploy("ERC1271WalletMock", [owner.address]);
    const { relay, calls } = await recordedRelay();
    const client = await connect(relay.url);
    expect(await client.signIn(signingAs(wallet, 2))).to.include({ type: "authenticated", address: wallet.toLowerCase() });
    expect(calls().map((call) => call.params[0].gas)).to.deep.equal([numberToHex(DEFAULT_LIMITS.contractSignInGas)]);
  });

  it("closes a connection with 1008 at its maxAuthFailures-th failed sign-in", async function () {
    const { relay } = await recordedRelay({ maxAuthFailures: 3, idleTimeoutMs: 600_000 });
    const client = await connect(relay.url);
    const other = await connect(relay.url);
    for (let n = 0; n < 2; n += 1) expect(await client.signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(client.socket.readyState).to.equal(client.socket.OPEN);
    expect(await client.signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(await client.closed).to.deep.equal({ code: 1008, reason: "too many failed sign-ins" });
    // Another connection of the same address is not closed for it.
    expect(await other.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
  });

  it("refuses sign-ins from an address past authFailureRate failures with RATE_LIMITED, at no cost to the node", async function () {
    const { relay, calls } = await recordedRelay({ authFailureRate: 2 });
    const first = await connect(relay.url);
    const second = await connect(relay.url);
    // Canonical signatures by another key: the claimed address could be a contract wallet, so each asks the chain.
    expect(await first.signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(await second.signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "AUTH_FAILED" });
    const spent = calls().length;
    expect(await second.signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "RATE_LIMITED" });
    const third = await connect(relay.url);
    expect(await third.signIn(chain.accounts[1])).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(calls()).to.have.length(spent);
    // Another address is not limited by this one's failures.
    const elsewhere = await connect(relay.url, { localAddress: "127.0.0.2" });
    expect(await elsewhere.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
  });

  it("runs at most contractSignInConcurrency chain checks at once, relay-wide; beyond it RATE_LIMITED", async function () {
    const node = gatedPublicClient(chain.rpcUrl);
    const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, publicClient: node.publicClient, port: 0, contractSignInConcurrency: 2 });
    relays.push(relay);
    node.hold();
    const clients = await Promise.all([0, 1, 2].map((n) => connect(relay.url, { localAddress: `127.0.0.${n + 3}` })));
    const first = clients.slice(0, 2).map((client) => client.signIn(chain.accounts[1], {}, chain.accounts[2]));
    await until(() => node.waiting() === 2, "two checks at the node");
    expect(await clients[2].signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(node.held()).to.equal(2);
    node.release();
    for (const reply of await Promise.all(first)) expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(await clients[2].signIn(chain.accounts[1], {}, chain.accounts[2])).to.include({ type: "error", code: "AUTH_FAILED" });
  });
});
