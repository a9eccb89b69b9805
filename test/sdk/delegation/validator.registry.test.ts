import { expect } from "chai";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import {
  createMessageValidator,
  createPublisher,
  MessageRejectedError,
  PUBLISH_BIT,
  randomSalt,
  signAccessGrant,
  signDelegation,
  StreamPermission,
  type Deployment,
  type KeywayClient,
  type MessageDomain,
  type MessageValidator,
} from "../../../sdk";
import { until } from "../../relay/helpers";
import { clientOf, deployFresh, destroyClients, KEYS } from "../fixtures";
import { signingAs } from "./fixtures";

const [HOLDER_KEY, GRANTEE_KEY, ISSUER_KEY] = KEYS;
const address = (key: Hex) => privateKeyToAddress(key).toLowerCase() as Address;

async function reasonOf(validator: MessageValidator, message: { streamId: string; partition: number }): Promise<string> {
  try {
    await validator.validate(message, message);
    return "accepted";
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    return (error as MessageRejectedError).reason;
  }
}

describe("MessageValidator on the in-process registry: revoking the signer's right ends its delegations and grants", () => {
  let deployment: Deployment;
  let holder: KeywayClient;
  let streamId: string;
  let domain: MessageDomain;
  let validator: MessageValidator;

  before(async () => {
    deployment = await deployFresh();
    holder = clientOf(deployment, 0);
    streamId = (await holder.createStream("/delegation/e2e")).id;
    await holder.grantPermissions(streamId, { userId: address(ISSUER_KEY), permissions: [StreamPermission.GRANT] });
    domain = { chainId: await holder.getChainId(), verifyingContract: holder.registryAddress };
    validator = createMessageValidator({ domain, permissions: clientOf(deployment, undefined) });
  });

  after(destroyClients);

  it("a session's messages are valid until the holder's Publish is revoked", async () => {
    const sessionKey = generatePrivateKey();
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const delegation = await signDelegation(
      { delegate: address(sessionKey), streamIds: [streamId], permissions: PUBLISH_BIT, expiresAt, salt: randomSalt() },
      { signer: HOLDER_KEY, domain },
    );
    const publisher = createPublisher({ streamId, signer: signingAs(address(HOLDER_KEY), sessionKey), domain });
    const next = async () => ({ ...(await publisher.publish(new Uint8Array([1]))), delegation });
    expect(await reasonOf(validator, await next())).to.equal("accepted");

    await holder.revokePermissions(streamId, { userId: address(HOLDER_KEY), permissions: [StreamPermission.PUBLISH] });
    await until(async () => (await reasonOf(validator, await next())) === "invalid-delegation", "the holder's revocation seen by the validator");
  });

  it("a grant's messages are valid until the issuer's Grant is revoked; the grantee holds nothing itself", async () => {
    const grant = await signAccessGrant(
      { grantee: address(GRANTEE_KEY), streamId, permissions: PUBLISH_BIT, expiresAt: Math.floor(Date.now() / 1000) + 3600, salt: randomSalt() },
      { signer: ISSUER_KEY, domain },
    );
    const publisher = createPublisher({ streamId, signer: GRANTEE_KEY, domain });
    const next = async () => ({ ...(await publisher.publish(new Uint8Array([2]))), grant });
    expect(await reasonOf(validator, await next())).to.equal("accepted");
    expect(await reasonOf(validator, await publisher.publish(new Uint8Array([3])))).to.equal("no-permission");

    await holder.revokePermissions(streamId, { userId: address(ISSUER_KEY), permissions: [StreamPermission.GRANT] });
    await until(async () => (await reasonOf(validator, await next())) === "invalid-grant", "the issuer's revocation seen by the validator");
  });
});
