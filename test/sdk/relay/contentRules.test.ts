import { expect } from "chai";
import { WebSocketServer } from "ws";
import { createPublisher, InvalidArgumentError, KeywayClient, MessageRejectedError, StreamPermission } from "../../../sdk";
import { type RelayOnChain, startRelayOnChain } from "../../relay/fixtures";
import { domainOf, until } from "../../relay/helpers";
import { stringToHex } from "viem";
import { getBlockNumber } from "viem/actions";

const READING = { type: "object", required: ["t"], properties: { t: { type: "number" } } };

describe("SDK: content rules (stream metadata schema)", function () {
  let chain: RelayOnChain;
  let clients: KeywayClient[] = [];

  function clientOf(index: number | undefined, relayUrl = chain.url): KeywayClient {
    const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, ...(index !== undefined && { privateKey: chain.accounts[index].privateKey }), relayUrl, pollingInterval: 200 });
    clients.push(client);
    return client;
  }

  before(async function () {
    chain = await startRelayOnChain();
  });
  afterEach(function () {
    clients.forEach((client) => client.destroy());
    clients = [];
  });
  after(async function () {
    await chain?.stop();
  });

  it("createStream and updateStreamMetadata refuse an unusable schema before any transaction; a refused publish is MessageRejectedError reason schema", async function () {
    const owner = clientOf(0);
    let deep: object = { type: "number" };
    for (let level = 0; level < 100; level++) deep = { properties: { a: deep } };
    const before = await getBlockNumber(owner.context.publicClient);
    await expect(owner.createStream("/schema/hostile", { schema: deep })).to.be.rejectedWith(InvalidArgumentError, /nests deeper/);
    await expect(owner.createStream("/schema/invalid", { schema: { type: "nonsense" } })).to.be.rejectedWith(InvalidArgumentError, /does not compile/);
    await expect(owner.createStream("/schema/redos", { schema: { type: "string", pattern: "(a)\\1" } })).to.be.rejectedWith(InvalidArgumentError);
    expect(await getBlockNumber(owner.context.publicClient)).to.equal(before);

    const stream = await owner.createStream(`/schema/${Date.now()}`, { schema: READING, partitions: 2 });
    await expect(owner.updateStreamMetadata(stream.id, JSON.stringify({ schema: { enum: Array.from({ length: 2_000 }, (_, n) => n) } }))).to.be.rejectedWith(InvalidArgumentError, /bytes of JSON/);
    expect(JSON.parse(await stream.getMetadata())).to.deep.equal({ partitions: 2, schema: READING });
    await owner.publish(stream.id, { t: 1 });
    const refused = await owner.publish(stream.id, { t: "one" }).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(MessageRejectedError);
    expect(refused).to.include({ reason: "schema" });
  });

  it("the subscriber's own validator refuses content that breaks the schema, whatever the relay sends (history and subscription)", async function () {
    const owner = clientOf(0);
    const stream = await owner.createStream(`/schema/${Date.now()}-sdk`, { schema: READING });
    await owner.grantPermissions(stream.id, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
    // Signed by the owner, who may publish: only the content rule is broken. A relay that did not check lets it through.
    const signer = createPublisher({ streamId: stream.id, partition: 0, signer: chain.accounts[0].privateKey, domain: domainOf(chain), contentType: "application/json" });
    const breaking = await signer.publish(stringToHex(JSON.stringify({ t: "hot" })));
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    server.on("connection", (socket) => {
      socket.send(JSON.stringify({ type: "hello", protocol: 1, chainId: chain.chainId, registry: chain.registryAddress, nonce: "abcdefgh12345678" }));
      socket.on("message", (data) => {
        const request = JSON.parse(data.toString());
        if (request.type === "history") socket.send(JSON.stringify({ type: "history", id: request.id, messages: [breaking] }));
        if (request.type === "subscribe") socket.send(JSON.stringify({ type: "subscribed", id: request.id, streamId: stream.id, partition: 0 }));
        // The push comes once the test listens for errors: it asks for presence then.
        if (request.type === "presence") {
          socket.send(JSON.stringify({ type: "message", streamId: stream.id, partition: 0, message: breaking }));
          socket.send(JSON.stringify({ type: "presence", id: request.id, streamId: stream.id, partition: 0, count: 1, clients: [] }));
        }
      });
    });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const reader = clientOf(undefined, `ws://127.0.0.1:${(server.address() as { port: number }).port}`);
      const refused = await reader.history(stream.id, { limit: 5 }).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(MessageRejectedError);
      expect(refused).to.include({ reason: "schema" });
      const delivered: unknown[] = [];
      const errors: Error[] = [];
      const subscription = await reader.subscribe(stream.id, (content) => void delivered.push(content));
      subscription.on("error", (error) => errors.push(error));
      await reader.presence(stream.id);
      await until(() => errors.length > 0, "the subscription's error");
      expect(errors[0]).to.be.instanceOf(MessageRejectedError).and.to.include({ reason: "schema" });
      expect(delivered).to.deep.equal([]);
    } finally {
      server.clients.forEach((socket) => socket.terminate());
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
