import { expect } from "chai";
import { DEFAULT_LIMITS } from "../../relay";
import { resolveLimits } from "../../relay/options";
import WebSocket from "ws";
import { connect, type RelayOnChain } from "./fixtures";
import { publicStreamTestHooks } from "./helpers";

/** The HTTP answer to a WebSocket upgrade the relay refuses (rejects if it is accepted). */
function refusedUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.on("error", () => undefined);
    socket.once("open", () => {
      socket.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => {
        socket.terminate();
        resolve({ status: response.statusCode!, body });
      });
    });
  });
}

describe("relay: connection limits", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relayWith = publicStreamTestHooks((started, stream) => ((chain = started), (streamId = stream)));

  it("answers the upgrade beyond maxConnections with 503 and a body; the open ones are unaffected", async function () {
    const relay = await relayWith({ maxConnections: 2 });
    const open = [await connect(relay.url), await connect(relay.url, { localAddress: "127.0.0.2" })];
    const refused = await refusedUpgrade(relay.url, { localAddress: "127.0.0.3" });
    expect(refused.status).to.equal(503);
    expect(refused.body).to.match(/maxConnections 2/);
    for (const client of open) expect(await client.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
    await open[0].close();
    await connect(relay.url, { localAddress: "127.0.0.3" });
  });

  it("limits connections per address by default only on a relay reachable beyond this host: on loopback every client is this machine", function () {
    expect(resolveLimits({}, "127.0.0.1").maxConnectionsPerAddress, "loopback: maxConnections").to.equal(DEFAULT_LIMITS.maxConnections);
    expect(resolveLimits({}, "::1").maxConnectionsPerAddress).to.equal(DEFAULT_LIMITS.maxConnections);
    expect(resolveLimits({}, "localhost").maxConnectionsPerAddress).to.equal(DEFAULT_LIMITS.maxConnections);
    expect(resolveLimits({ maxConnections: 50 }, "127.0.0.1").maxConnectionsPerAddress).to.equal(50);
    expect(resolveLimits({}, "198.51.100.4").maxConnectionsPerAddress, "beyond loopback").to.equal(100);
    expect(resolveLimits({}, "192.0.2.7").maxConnectionsPerAddress).to.equal(100);
    expect(resolveLimits({ maxConnectionsPerAddress: 7 }, "127.0.0.1").maxConnectionsPerAddress, "an explicit value wins").to.equal(7);
  });

  it("takes more than 100 connections from this machine on the default host (benchmarks, a local proxy)", async function () {
    const relay = await relayWith({ maxConnections: 150 });
    const clients = await Promise.all(Array.from({ length: 120 }, () => connect(relay.url)));
    expect(clients.every((client) => client.socket.readyState === client.socket.OPEN)).to.equal(true);
    expect(relay.connectionCount()).to.equal(120);
  });

  it("answers the upgrade beyond maxConnectionsPerAddress with 429 and a body; other addresses still connect", async function () {
    const relay = await relayWith({ maxConnectionsPerAddress: 2 });
    const open = [await connect(relay.url), await connect(relay.url)];
    const refused = await refusedUpgrade(relay.url);
    expect(refused.status).to.equal(429);
    expect(refused.body).to.match(/maxConnectionsPerAddress 2/);
    const elsewhere = await connect(relay.url, { localAddress: "127.0.0.2" });
    expect(await elsewhere.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
    for (const client of open) expect(await client.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
    await open[0].close();
    await connect(relay.url);
  });

  it("closes a signed-in connection without a subscription after idleTimeoutMs; an anonymous subscriber stays until it unsubscribes", async function () {
    const relay = await relayWith({ idleTimeoutMs: 500 });
    const subscriber = await connect(relay.url);
    await subscriber.request({ type: "subscribe", streamId });
    const signedIn = await connect(relay.url);
    expect(await signedIn.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
    expect(await signedIn.closed).to.include({ code: 1008 });
    expect(subscriber.socket.readyState).to.equal(WebSocket.OPEN);
    await subscriber.request({ type: "unsubscribe", streamId });
    expect(await subscriber.closed).to.include({ code: 1008 });
  });
});
