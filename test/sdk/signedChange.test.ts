import { expect } from "chai";
import { Wallet } from "ethers";
import { privateKeyToAccount } from "viem/accounts";
import {
  cancelNonces,
  createStreamCall,
  deleteStreamCall,
  type Deployment,
  getUnusedNonces,
  grantPermissionsCall,
  InvalidArgumentError,
  InvalidSignatureError,
  KeywayClient,
  NonceCancelledError,
  NonceUsedError,
  parseSignedChange,
  setPermissionsCall,
  SignatureExpiredError,
  signChange,
  type SignedChange,
  signedChangeToJSON,
  StreamPermission,
  submitSignedChange,
  UnauthorizedError,
} from "../../sdk";
import { chainNow, clientOf, deployFresh, destroyClients, KEYS, publicClient } from "./fixtures";

const PATH = "/signed/temperature";
const [creator, alice, relayer, bob] = KEYS.map((key) => privateKeyToAccount(key).address);

describe("signed changes (SDK)", () => {
  let deployment: Deployment;
  let streamId: string;
  let signing: KeywayClient; // the creator: signs, sends nothing
  let submitter: KeywayClient; // holds no permission, pays the gas

  beforeEach(async () => {
    deployment = await deployFresh();
    signing = clientOf(deployment, 0, { cache: false });
    submitter = clientOf(deployment, 2, { cache: false });
    streamId = (await signing.createStream(PATH)).id;
  });
  afterEach(destroyClients);

  const transactionCount = (address: `0x${string}`) => publicClient().getTransactionCount({ address });
  const grantAlicePublish = () => grantPermissionsCall({ streamId, assignments: [{ userId: alice, permissions: [StreamPermission.PUBLISH] }] });

  /** Runs `refused`, which must throw `type`, and checks that the submitter sent nothing and Alice gained nothing. */
  async function expectRefused<E extends Error>(refused: () => Promise<unknown>, type: new (...args: never[]) => E, code: string): Promise<E> {
    const sent = await transactionCount(relayer);
    const error = await refused().then(
      () => expect.fail("the signed change was accepted"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(type);
    expect((error as { code: string }).code).to.equal(code);
    expect(await transactionCount(relayer)).to.equal(sent);
    expect(await signing.hasPermission({ streamId, userId: alice, permission: StreamPermission.PUBLISH })).to.equal(false);
    return error as E;
  }

  it("signs without sending anything (viem account) and applies once any account submits it", async () => {
    const sent = await transactionCount(creator);
    const signed = await signChange(signing.context, { call: grantAlicePublish() });
    expect(await transactionCount(creator)).to.equal(sent);
    expect(signed).to.include({ functionName: "grantPermissions", signer: creator, nonce: 0n, chainId: deployment.chainId, registryAddress: deployment.registryAddress });
    expect(signed.signature).to.match(/^0x[0-9a-f]{128}$/); // an EOA's signature in its 64-byte form
    expect(Number(signed.deadline) - (await chainNow())).to.be.within(3599, 3601);

    const receipt = await submitSignedChange(submitter.context, { signedChange: signed });
    expect(receipt.from.toLowerCase()).to.equal(relayer.toLowerCase());
    expect(await signing.hasPermission({ streamId, userId: alice, permission: StreamPermission.PUBLISH })).to.equal(true);
    expect(await getUnusedNonces(signing.context, { signer: creator, count: 2 })).to.deep.equal([1n, 2n]);
  });

  it("signs with an ethers signer, and a creation applies under the signer", async () => {
    const ethersSigner = clientOf(deployment, undefined, { ethersSigner: new Wallet(KEYS[3]), cache: false });
    const signed = await signChange(ethersSigner.context, { call: createStreamCall({ path: "/from/ethers", partitions: 2 }) });
    expect(signed.signer).to.equal(bob);
    await submitSignedChange(submitter.context, { signedChange: signed });
    expect(await (await signing.getStream(`${bob.toLowerCase()}/from/ethers`)).getMetadata()).to.include('"partitions":2');
  });

  it("round-trips through JSON, and refuses JSON that is not a signed change with InvalidArgumentError", async () => {
    const signed = await signChange(signing.context, { call: setPermissionsCall({ updates: [{ streamId, assignments: [{ userId: alice, permissions: [StreamPermission.PUBLISH] }] }] }), nonce: 5n });
    const json = signedChangeToJSON(signed);
    expect(parseSignedChange(json)).to.deep.equal(signed);
    const value = JSON.parse(json) as Record<string, unknown>;
    const malformed = [
      "not json",
      JSON.stringify({ ...value, format: "something else" }),
      JSON.stringify({ ...value, functionName: "invalidateUnorderedNonces" }),
      JSON.stringify({ ...value, args: [streamId] }),
      JSON.stringify({ ...value, args: [streamId, ["0xnope"], [[0, 0, 1, 0, 0]]] }),
      JSON.stringify({ ...value, nonce: 5 }),
      JSON.stringify({ ...value, deadline: "-1" }),
      JSON.stringify({ ...value, signer: "0x1234" }),
      JSON.stringify({ ...value, signature: "0x123" }),
      JSON.stringify({ ...value, chainId: "31337" }),
    ];
    for (const text of malformed) expect(() => parseSignedChange(text), text).to.throw(InvalidArgumentError);
    await submitSignedChange(submitter.context, { signedChange: parseSignedChange(json) });
    expect(await signing.hasPermission({ streamId, userId: alice, permission: StreamPermission.PUBLISH })).to.equal(true);
  });

  it("refuses an expired change with SignatureExpiredError, sending nothing", async () => {
    const deadline = BigInt(await chainNow());
    const signed = await signChange(signing.context, { call: grantAlicePublish(), deadline });
    const error = await expectRefused(() => submitSignedChange(submitter.context, { signedChange: signed }), SignatureExpiredError, "SIGNATURE_EXPIRED");
    expect(error.deadline).to.equal(deadline);
  });

  it("refuses a change sent twice with NonceUsedError", async () => {
    const signed = await signChange(signing.context, { call: deleteStreamCall({ streamId }) });
    await submitSignedChange(submitter.context, { signedChange: signed });
    await signing.createStream(PATH);
    const error = await expectRefused(() => submitSignedChange(submitter.context, { signedChange: signed }), NonceUsedError, "NONCE_USED");
    expect(error.nonce).to.equal(0n);
    expect(await signing.getStream(streamId)).to.not.equal(undefined); // the second deletion did not happen
  });

  it("refuses a change whose nonce its signer cancelled with NonceCancelledError", async () => {
    const [first, second] = await getUnusedNonces(signing.context, { signer: creator, count: 2 });
    const signed = await signChange(signing.context, { call: grantAlicePublish(), nonce: second });
    await cancelNonces(signing.context, { nonces: [second] });
    await expectRefused(() => submitSignedChange(submitter.context, { signedChange: signed }), NonceCancelledError, "NONCE_CANCELLED");
    expect(await getUnusedNonces(signing.context, { signer: creator, count: 2 })).to.deep.equal([first, second + 1n]);
    await expect(cancelNonces(signing.context, { nonces: [1n, 256n] })).to.be.rejectedWith(InvalidArgumentError);
  });

  it("refuses a tampered change, or one signed for another registry, with InvalidSignatureError", async () => {
    const signed = await signChange(signing.context, { call: grantAlicePublish() });
    const tampered: SignedChange[] = [
      { ...signed, args: [streamId, [bob], signed.args[2]] } as SignedChange,
      { ...signed, nonce: 9n },
      { ...signed, signer: bob },
    ];
    for (const change of tampered) {
      await expectRefused(() => submitSignedChange(submitter.context, { signedChange: change }), InvalidSignatureError, "INVALID_SIGNATURE");
    }
    const elsewhere = clientOf(await deployFresh(), 2, { cache: false });
    const error = await expectRefused(() => submitSignedChange(elsewhere.context, { signedChange: signed }), InvalidSignatureError, "INVALID_SIGNATURE");
    expect(error.message).to.include(`signed for the registry ${deployment.registryAddress}`);
  });

  it("refuses a valid signature of an account without Grant with UnauthorizedError, as its own transaction would be", async () => {
    const signed = await signChange(clientOf(deployment, 3, { cache: false }).context, { call: grantAlicePublish() });
    const error = await expectRefused(() => submitSignedChange(submitter.context, { signedChange: signed }), UnauthorizedError, "UNAUTHORIZED");
    expect(error.account).to.equal(bob.toLowerCase());
  });
});
