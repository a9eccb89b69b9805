import { expect } from "chai";
import {
  createStream,
  getStreamPartitions,
  InvalidArgumentError,
  MAX_PARTITIONS,
  partitionsOf,
  streamRegistryAbi,
  updateStreamMetadata,
  type Deployment,
  type KeywayClient,
} from "../../sdk";
import { clientOf, deployFresh, destroyClients, KEYS, publicClient, recordingPublicClient, walletClientOf } from "./fixtures";

const POLLING_INTERVAL = 50;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("stream partitions", () => {
  describe("partitionsOf(metadata)", () => {
    it("reads an integer 1..100 from a JSON object's partitions; anything else counts as 1", () => {
      expect(MAX_PARTITIONS).to.equal(100);
      expect(partitionsOf('{"partitions":3}')).to.equal(3);
      expect(partitionsOf('{"unit":"C","partitions":100}')).to.equal(100);
      for (const metadata of ["", "{}", "not json", "[3]", "3", "null", '"x"', '{"partitions":0}', '{"partitions":101}', '{"partitions":1.5}', '{"partitions":"3"}', '{"partitions":null}']) {
        expect(partitionsOf(metadata), metadata).to.equal(1);
      }
    });
  });

  describe("on chain", () => {
    let deployment: Deployment;
    let owner: KeywayClient;
    let n = 0;
    const path = () => `/partitions/${++n}`;

    before(async () => {
      deployment = await deployFresh();
      owner = clientOf(deployment, 0, { cache: false });
    });
    after(destroyClients);

    it("createStream(path, { partitions }) merges the count into the metadata; Stream.getPartitionCount reads it", async () => {
      const stream = await owner.createStream(path(), { metadata: '{"unit":"C"}', partitions: 3 });
      expect(JSON.parse(await stream.getMetadata())).to.deep.equal({ unit: "C", partitions: 3 });
      expect(await stream.getPartitionCount()).to.equal(3);
      const bare = await owner.createStream(path(), { partitions: 5 });
      expect(JSON.parse(await bare.getMetadata())).to.deep.equal({ partitions: 5 });
      expect(await owner.getStreamPartitions(bare.id)).to.equal(5);
      expect(await owner.getStreamPartitions((await owner.createStream(path())).id)).to.equal(1);
    });

    it("refuses an invalid partitions (option or metadata field) with InvalidArgumentError before any transaction", async () => {
      const before = await publicClient().getBlockNumber();
      const refusals = [
        ...[0, 101, 1.5, -1].map((partitions) => createStream(owner.context, { path: path(), partitions })),
        ...['{"partitions":0}', '{"partitions":101}', '{"partitions":1.5}', '{"partitions":"3"}'].map((metadata) => createStream(owner.context, { path: path(), metadata })),
        createStream(owner.context, { path: path(), metadata: "not an object", partitions: 2 }),
      ];
      for (const refused of refusals) {
        const error = await refused.then(() => undefined, (e: unknown) => e);
        expect(error).to.be.instanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).code).to.equal("INVALID_ARGUMENT");
        expect((error as Error).message).to.match(/partitions/);
      }
      const stream = await owner.createStream(path());
      const afterCreate = await publicClient().getBlockNumber();
      for (const metadata of ['{"partitions":0}', '{"partitions":101}', '{"partitions":1.5}', '{"partitions":"3"}']) {
        const error = await updateStreamMetadata(owner.context, { streamId: stream.id, metadata }).catch((e: unknown) => e);
        expect(error, metadata).to.be.instanceOf(InvalidArgumentError);
      }
      expect(afterCreate, "only the valid createStream was sent").to.equal(before + 1n);
      expect(await publicClient().getBlockNumber()).to.equal(afterCreate);
      // Metadata that is not JSON, or has no partitions, is written as before.
      await owner.updateStreamMetadata(stream.id, "plain text");
      expect(await owner.getStreamPartitions(stream.id)).to.equal(1);
    });

    it("an invalid value written by another tool counts as 1", async () => {
      const stream = await owner.createStream(path());
      const wallet = walletClientOf(KEYS[0]);
      const hash = await wallet.writeContract({ address: deployment.registryAddress, abi: streamRegistryAbi, functionName: "updateStreamMetadata", args: [stream.id, '{"partitions":1000}'] });
      await publicClient().waitForTransactionReceipt({ hash });
      expect(await owner.getStreamMetadata(stream.id)).to.equal('{"partitions":1000}');
      expect(await owner.getStreamPartitions(stream.id)).to.equal(1);
    });

    it("is cached: a warm read sends nothing; a metadata update (lower or higher) is seen at a later poll", async () => {
      const stream = await owner.createStream(path(), { partitions: 4 });
      const methods: string[] = [];
      const reader = clientOf(deployment, undefined, { publicClient: recordingPublicClient(methods), pollingInterval: POLLING_INTERVAL });
      expect(await getStreamPartitions(reader.context, { streamId: stream.id })).to.equal(4);
      console.log(`      cold getStreamPartitions: ${methods.length} requests: ${methods.join(", ")}`);
      methods.length = 0;
      for (let i = 0; i < 20; i++) expect(await reader.getStreamPartitions(stream.id)).to.equal(4);
      expect(methods.filter((m) => m === "eth_call"), "warm reads").to.deep.equal([]);
      await stream.setMetadata(JSON.stringify({ partitions: 2 }));
      await until(async () => (await reader.getStreamPartitions(stream.id)) === 2, "the lowered count");
      await stream.setMetadata(JSON.stringify({ partitions: 7 }));
      await until(async () => (await reader.getStreamPartitions(stream.id)) === 7, "the raised count");
    });

    it("a missing stream is StreamNotFoundError, and asking again costs no request", async () => {
      const methods: string[] = [];
      const reader = clientOf(deployment, undefined, { publicClient: recordingPublicClient(methods), pollingInterval: POLLING_INTERVAL });
      let polls = 0;
      const unwatch = reader.watchPermissionChanges(() => polls++); // the watcher runs, as in a relay
      try {
        await until(async () => polls > 0, "the watcher's first poll");
        const missing = `${walletClientOf(KEYS[0]).account.address.toLowerCase()}/partitions/missing`;
        const first = await reader.getStreamPartitions(missing).catch((e: unknown) => e);
        expect(first).to.have.property("code", "STREAM_NOT_FOUND");
        methods.length = 0;
        const again = await reader.getStreamPartitions(missing).catch((e: unknown) => e);
        expect(again).to.have.property("code", "STREAM_NOT_FOUND");
        expect(methods.filter((m) => m === "eth_call")).to.deep.equal([]);
      } finally {
        unwatch();
      }
    });
  });
});
